// Events and acknowledgements both ways, binary arguments, handlers, hooks, flags and server-side
// disconnects, checked on the exact wire strings of protocol.md 2.2, 2.6 and 2.10.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/message.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Message;
using SocketIo::Namespace;
using SocketIo::Server;
using SocketIo::Socket;
using Transport = SioRawClient::Transport;

class tst_ServerEvents : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void init();
    void cleanup();

    void clientEventWithAckIsAcked_data();
    void clientEventWithAckIsAcked();
    void binaryEventIsAckedWithBinaryAck();
    void pollingWorkedExample();
    void serverEventsOnTheWire_data();
    void serverEventsOnTheWire();
    void reservedEventNamesAreRefused_data();
    void reservedEventNamesAreRefused();
    void serverAckIdsStartAtZeroPerNamespace();
    void emitWithAckFinishesWithClientArgs();
    void emitWithAckTimesOut();
    void emitWithAckFailsWhenSocketDisconnects();
    void lateAckIsIgnoredAndUnknownAckIdDoesNotClose();
    void ackIsSentAtMostOnceAndMayBeAsynchronous();
    void handlersDieWithTheirContext();
    void numericEventNameIsDelivered();
    void catchAllAndOutgoingHooks();
    void packetMiddlewareErrorDropsPacket();
    void volatileEmitIsDroppedWhenNotWritable();
    void serverNamespaceDisconnect();
    void serverDisconnectWithCloseLeavesEveryNamespace();
    void serverCloseShutsDownEverySocket();
    void eventNamedErrorReachesHandlers();

private:
    Socket *connectSocket(SioRawClient &client, const QString &nsp = u"/"_s);

    std::unique_ptr<Server> m_io;
};

void tst_ServerEvents::init()
{
    m_io = sioStartServer();
    QVERIFY(m_io);
}

void tst_ServerEvents::cleanup()
{
    m_io.reset();
}

Socket *tst_ServerEvents::connectSocket(SioRawClient &client, const QString &nsp)
{
    if (client.sid().isEmpty()) {
        if (!client.open(m_io->serverPort()))
            return nullptr;
    }
    QSignalSpy spy(m_io->of(nsp), &Namespace::connection);
    const QByteArray reply = client.connectNamespace(nsp);
    if (!reply.startsWith("40"))
        return nullptr;
    if (spy.isEmpty() && !spy.wait(2000))
        return nullptr;
    return spy.at(0).at(0).value<Socket *>();
}

void tst_ServerEvents::clientEventWithAckIsAcked_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_ServerEvents::clientEventWithAckIsAcked()
{
    QFETCH(Transport, transport);
    SioRawClient client(transport);
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QList<Message> received;
    socket->on(u"message-with-ack"_s, socket, [&](const Message &m) {
        received.append(m);
        m.ack(m.args());
    });
    client.send(R"(42456["message-with-ack",1,"2",{"3":[false]}])");
    QCOMPARE(client.waitForText(), QByteArray(R"(43456[1,"2",{"3":[false]}])"));
    QCOMPARE(received.size(), 1);
    QCOMPARE(received.at(0).event(), u"message-with-ack"_s);
    QVERIFY(received.at(0).needsAck());
    QCOMPARE(received.at(0).ackId(), 456);
    QCOMPARE(received.at(0).args().size(), 3);
    QVERIFY(received.at(0).isAcknowledged());
}

void tst_ServerEvents::binaryEventIsAckedWithBinaryAck()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QCborArray seenArgs;
    socket->on(u"message-with-ack"_s, socket, [&](const Message &m) {
        seenArgs = m.args();
        m.ack(m.args());
    });
    client.send(R"(452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    client.sendBinary(QByteArray("\x01\x02\x03", 3));
    client.sendBinary(QByteArray("\x04\x05\x06", 3));
    QCOMPARE(client.waitForText(),
             QByteArray(R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    QCOMPARE(client.waitForBinary(), QByteArray("\x01\x02\x03", 3));
    QCOMPARE(client.waitForBinary(), QByteArray("\x04\x05\x06", 3));
    QCOMPARE(seenArgs.size(), 2);
    QCOMPARE(seenArgs.at(0).toByteArray(), QByteArray("\x01\x02\x03", 3));
}

void tst_ServerEvents::pollingWorkedExample()
{
    SioRawClient client(Transport::Polling);
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    const QByteArray bytes("\x01\x02\x03", 3);
    socket->on(u"hello"_s, socket, [&](const Message &m) { m.ack({u"ok"_s, bytes}); });
    socket->on(u"bin"_s, socket, [&](const Message &m) { socket->emitEvent(u"bin-back"_s, m.args()); });
    client.postPayload("421[\"hello\",\"x\"]\x1e" R"(451-["bin",{"_placeholder":true,"num":0}])" "\x1e" "bAQID");
    QCOMPARE(client.waitForText(), QByteArray(R"(461-1["ok",{"_placeholder":true,"num":0}])"));
    QCOMPARE(client.waitForBinary(), bytes);
    QCOMPARE(client.waitForText(), QByteArray(R"(451-["bin-back",{"_placeholder":true,"num":0}])"));
    QCOMPARE(client.waitForBinary(), bytes);
}

void tst_ServerEvents::serverEventsOnTheWire_data()
{
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QString>("event");
    QTest::addColumn<QCborArray>("args");
    QTest::addColumn<QByteArray>("wire");
    QTest::newRow("no arguments") << u"/"_s << u"foo"_s << QCborArray() << QByteArray(R"(42["foo"])");
    QTest::newRow("mixed arguments") << u"/"_s << u"foo"_s << QCborArray{1, u"two"_s, true, QCborValue(nullptr)}
                                     << QByteArray(R"(42["foo",1,"two",true,null])");
    QTest::newRow("object keeps key order") << u"/"_s << u"o"_s
                                            << QCborArray{QCborMap{{u"z"_s, 1}, {u"a"_s, 2}}}
                                            << QByteArray(R"(42["o",{"z":1,"a":2}])");
    QTest::newRow("custom namespace") << u"/admin"_s << u"bar"_s << QCborArray() << QByteArray(R"(42/admin,["bar"])");
}

void tst_ServerEvents::serverEventsOnTheWire()
{
    QFETCH(QString, nsp);
    QFETCH(QString, event);
    QFETCH(QCborArray, args);
    QFETCH(QByteArray, wire);
    SioRawClient client;
    Socket *socket = connectSocket(client, nsp);
    QVERIFY(socket);
    QVERIFY(socket->emitEvent(event, args));
    QCOMPARE(client.waitForText(), wire);
}

void tst_ServerEvents::reservedEventNamesAreRefused_data()
{
    QTest::addColumn<QString>("event");
    for (const char *name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void tst_ServerEvents::reservedEventNamesAreRefused()
{
    QFETCH(QString, event);
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name"_s));
    QVERIFY(!socket->emitEvent(event));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name"_s));
    QVERIFY(!m_io->emitEvent(event));
    socket->emitEvent(u"after"_s);
    QCOMPARE(client.waitForText(), QByteArray(R"(42["after"])"));   // nothing was sent before it
}

void tst_ServerEvents::serverAckIdsStartAtZeroPerNamespace()
{
    SioRawClient a;
    SioRawClient b;
    Socket *sa = connectSocket(a);
    Socket *sb = connectSocket(b);
    QVERIFY(sa && sb);
    sa->emitWithAck(u"q"_s, {}, 1s);
    QCOMPARE(a.waitForText(), QByteArray(R"(420["q"])"));
    sb->emitWithAck(u"q"_s, {}, 1s);
    QCOMPARE(b.waitForText(), QByteArray(R"(421["q"])"));   // the counter is the namespace's
    // another namespace has its own counter
    SioRawClient c;
    Socket *sc = connectSocket(c, u"/other"_s);
    QVERIFY(sc);
    sc->emitWithAck(u"q"_s, {}, 1s);
    QCOMPARE(c.waitForText(), QByteArray(R"(42/other,0["q"])"));
}

void tst_ServerEvents::emitWithAckFinishesWithClientArgs()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    AckReply *reply = socket->emitWithAck(u"ping"_s, {1}, 2s);
    QSignalSpy finished(reply, &AckReply::finished);
    QCborArray args;
    AckReply::Error error = AckReply::Error::Timeout;
    connect(reply, &AckReply::finished, this, [&] {
        args = reply->args();
        error = reply->error();
    });
    QCOMPARE(client.waitForText(), QByteArray(R"(420["ping",1])"));
    QCOMPARE(finished.size(), 0);   // never synchronously
    client.send(R"(430["pong",{"n":2}])");
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(error, AckReply::Error::NoError);
    QCOMPARE(args.size(), 2);
    QCOMPARE(args.at(0).toString(), u"pong"_s);
    QCOMPARE(args.at(1).toMap().value(u"n"_s).toInteger(), 2);

    // binary ack from the client
    AckReply *binary = socket->emitWithAck(u"bin"_s, {}, 2s);
    QByteArray got;
    connect(binary, &AckReply::finished, this, [&] { got = binary->args().at(0).toByteArray(); });
    QCOMPARE(client.waitForText(), QByteArray(R"(421["bin"])"));
    client.send(R"(461-1[{"_placeholder":true,"num":0}])");
    client.sendBinary("xyz");
    QTRY_COMPARE(got, QByteArray("xyz"));
}

void tst_ServerEvents::emitWithAckTimesOut()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    AckReply *reply = socket->emitWithAck(u"ping"_s, {}, 50ms);
    QString errorString;
    int finishedCount = 0;
    connect(reply, &AckReply::finished, this, [&] {
        ++finishedCount;
        errorString = reply->errorString();
        QCOMPARE(reply->error(), AckReply::Error::Timeout);
    });
    QTRY_COMPARE(finishedCount, 1);
    QCOMPARE(errorString, u"operation has timed out"_s);
}

void tst_ServerEvents::emitWithAckFailsWhenSocketDisconnects()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    AckReply *reply = socket->emitWithAck(u"ping"_s);
    AckReply::Error error = AckReply::Error::NoError;
    int finishedCount = 0;
    connect(reply, &AckReply::finished, this, [&] {
        ++finishedCount;
        error = reply->error();
    });
    // several fail in the order they were asked for, whatever the order of their hash
    QList<int> order;
    QObject context;   // goes before order, whatever the test's outcome
    for (int i = 0; i < 20; ++i) {
        AckReply *r = socket->emitWithAck(u"ping"_s);
        connect(r, &AckReply::finished, &context, [&order, i] { order.append(i); });
    }
    client.send("41");
    QTRY_COMPARE(finishedCount, 1);
    QCOMPARE(error, AckReply::Error::Disconnected);
    QTRY_COMPARE(order.size(), 20);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(order.at(i), i);
}

void tst_ServerEvents::lateAckIsIgnoredAndUnknownAckIdDoesNotClose()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    AckReply *reply = socket->emitWithAck(u"ping"_s, {}, 20ms);
    int finishedCount = 0;
    connect(reply, &AckReply::finished, this, [&] { ++finishedCount; });
    QTRY_COMPARE(finishedCount, 1);
    client.send(R"(430["late"])");
    client.send(R"(43999["unknown"])");
    QList<QString> events;
    socket->on(u"still"_s, socket, [&](const Message &m) { events.append(m.event()); });
    client.send(R"(42["still"])");
    QTRY_COMPARE(events.size(), 1);
    QVERIFY(socket->isConnected());
    QCOMPARE(finishedCount, 1);
}

void tst_ServerEvents::ackIsSentAtMostOnceAndMayBeAsynchronous()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    socket->on(u"later"_s, socket, [this](const Message &m) {
        QTimer::singleShot(10, this, [m] {
            QVERIFY(m.ack({u"first"_s}));
            const Message copy = m;
            QVERIFY(!copy.ack({u"second"_s}));
        });
    });
    client.send(R"(427["later"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(437["first"])"));
    socket->emitEvent(u"marker"_s);
    QCOMPARE(client.waitForText(), QByteArray(R"(42["marker"])"));
}

void tst_ServerEvents::handlersDieWithTheirContext()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    auto *context = new QObject;
    int contextCalls = 0;
    int socketCalls = 0;
    socket->on(u"x"_s, context, [&](const Message &) { ++contextCalls; });
    socket->on(u"x"_s, socket, [&](const Message &) { ++socketCalls; });
    client.send(R"(42["x"])");
    QTRY_COMPARE(socketCalls, 1);
    QCOMPARE(contextCalls, 1);
    delete context;
    client.send(R"(42["x"])");
    QTRY_COMPARE(socketCalls, 2);
    QCOMPARE(contextCalls, 1);
    socket->off(u"x"_s);
    client.send(R"(42["x"])");
    client.send(R"(42["sync"])");
    QSignalSpy received(socket, &Socket::eventReceived);
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(socketCalls, 2);
}

void tst_ServerEvents::numericEventNameIsDelivered()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QSignalSpy received(socket, &Socket::eventReceived);
    client.send(R"(42[1,"a"])");
    QTRY_COMPARE(received.size(), 1);
    const Message m = received.at(0).at(0).value<Message>();
    QCOMPARE(m.event(), u"1"_s);
    QCOMPARE(m.args(), QCborArray{u"a"_s});
    QVERIFY(!m.needsAck());
    QVERIFY(!m.ack());
}

void tst_ServerEvents::catchAllAndOutgoingHooks()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QStringList order;
    connect(socket, &Socket::eventReceived, this, [&](const Message &m) { order.append("any:"_L1 + m.event()); });
    socket->on(u"e"_s, socket, [&](const Message &) { order.append(u"handler"_s); });
    client.send(R"(42["e"])");
    QTRY_COMPARE(order, (QStringList{u"any:e"_s, u"handler"_s}));

    QSignalSpy sent(socket, &Socket::eventSent);
    socket->send({u"hi"_s});
    QCOMPARE(client.waitForText(), QByteArray(R"(42["message","hi"])"));
    m_io->emitEvent(u"all"_s, {2});
    QCOMPARE(client.waitForText(), QByteArray(R"(42["all",2])"));
    QCOMPARE(sent.size(), 2);
    QCOMPARE(sent.at(0).at(0).toString(), u"message"_s);
    QCOMPARE(sent.at(1).at(0).toString(), u"all"_s);
    QCOMPARE(sent.at(1).at(1).value<QCborArray>(), QCborArray{2});
}

void tst_ServerEvents::packetMiddlewareErrorDropsPacket()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    socket->use([this](const Message &m, const SocketIo::Next &next) {
        if (m.event() == "forbidden"_L1)
            QTimer::singleShot(5, this, [next] { next(u"not allowed"_s, QCborMap{{u"why"_s, 1}}); });
        else
            next();
    });
    QStringList handled;
    socket->on(u"forbidden"_s, socket, [&](const Message &m) { handled.append(m.event()); });
    socket->on(u"fine"_s, socket, [&](const Message &m) { handled.append(m.event()); });
    QSignalSpy errors(socket, &Socket::errorOccurred);
    client.send(R"(42["forbidden"])");
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).toString(), u"not allowed"_s);
    QCOMPARE(errors.at(0).at(1).value<QCborValue>().toMap().value(u"why"_s).toInteger(), 1);
    client.send(R"(42["fine"])");
    QTRY_COMPARE(handled, QStringList{u"fine"_s});
    QVERIFY(socket->isConnected());
}

void tst_ServerEvents::volatileEmitIsDroppedWhenNotWritable()
{
    SioRawClient client(Transport::Polling);
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    // a normal emit queues; while it is pending no GET is parked, so a volatile one is dropped
    QTRY_VERIFY(socket->conn()->isWritable());
    QVERIFY(socket->emitEvent(u"kept"_s));
    const bool writable = socket->conn()->isWritable();
    const bool sentVolatile = socket->emitEvent(u"volatile"_s, QCborArray(), Socket::Volatile);
    QCOMPARE(sentVolatile, writable);
    QCOMPARE(client.waitForText(), QByteArray(R"(42["kept"])"));
    socket->emitEvent(u"marker"_s);
    const QByteArray next = client.waitForText();
    if (!sentVolatile)
        QCOMPARE(next, QByteArray(R"(42["marker"])"));
}

void tst_ServerEvents::serverNamespaceDisconnect()
{
    SioRawClient client;
    Socket *socket = connectSocket(client, u"/admin"_s);
    QVERIFY(socket);
    QPointer<Socket> guard(socket);
    QSignalSpy disconnected(socket, &Socket::disconnected);
    socket->disconnect();
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ServerNamespaceDisconnect);
    QVERIFY(!socket->isConnected());
    QVERIFY(!socket->emitEvent(u"after"_s));
    QCOMPARE(client.waitForText(), QByteArray("41/admin,"));
    QTRY_VERIFY(guard.isNull());   // deleted after disconnected()
    // the connection stays: the client may join again
    QVERIFY(client.connectNamespace(u"/admin"_s).startsWith("40/admin,"));
}

void tst_ServerEvents::serverDisconnectWithCloseLeavesEveryNamespace()
{
    SioRawClient client;
    Socket *root = connectSocket(client);
    Socket *admin = connectSocket(client, u"/admin"_s);
    QVERIFY(root && admin);
    QSignalSpy rootDisconnected(root, &Socket::disconnected);
    QSignalSpy adminDisconnected(admin, &Socket::disconnected);
    admin->disconnect(true);
    QStringList packets;
    packets.append(QString::fromUtf8(client.waitForText()));
    packets.append(QString::fromUtf8(client.waitForText()));
    packets.sort();
    QCOMPARE(packets, (QStringList{u"41"_s, u"41/admin,"_s}));
    QVERIFY(client.waitForClosed());
    QCOMPARE(rootDisconnected.size(), 1);
    QCOMPARE(adminDisconnected.size(), 1);
    QCOMPARE(adminDisconnected.at(0).at(0).value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ServerNamespaceDisconnect);
}

void tst_ServerEvents::serverCloseShutsDownEverySocket()
{
    SioRawClient a;
    SioRawClient b;
    Socket *sa = connectSocket(a);
    Socket *sb = connectSocket(b, u"/admin"_s);
    QVERIFY(sa && sb);
    QSignalSpy da(sa, &Socket::disconnected);
    QSignalSpy db(sb, &Socket::disconnected);
    m_io->close();
    QCOMPARE(da.size(), 1);
    QCOMPARE(db.size(), 1);
    QCOMPARE(da.at(0).at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::ServerShuttingDown);
    QCOMPARE(SocketIo::reasonString(SocketIo::DisconnectReason::ServerShuttingDown), u"server shutting down"_s);
    QVERIFY(a.waitForClosed());
    QVERIFY(b.waitForClosed());
    QVERIFY(!m_io->isListening());
}

void tst_ServerEvents::eventNamedErrorReachesHandlers()
{
    SioRawClient client;
    Socket *socket = connectSocket(client);
    QVERIFY(socket);
    QCborArray args;
    socket->on(u"error"_s, socket, [&](const Message &m) { args = m.args(); });
    client.send(R"(42["error","boom"])");
    QTRY_COMPARE(args, QCborArray{u"boom"_s});
}

QTEST_GUILESS_MAIN(tst_ServerEvents)
#include "tst_server_events.moc"

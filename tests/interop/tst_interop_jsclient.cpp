// Interop: the real npm socket.io-client@4 (pinned in package-lock.json) against our Server,
// in the three transport modes a browser or Node client uses: polling only, WebSocket only,
// and polling upgraded to WebSocket. The client is driven through tests/interop/js/client-scenario.js.

#include "nodeprocess.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/adapter.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using SocketIo::Test::NodeProcess;

namespace {

// Byte strings as the driver writes them ({"_bin":"<hex>"}), everything else as JSON.
QJsonValue toDriverJson(const QCborValue &value)
{
    if (value.isByteArray())
        return NodeProcess::binary(value.toByteArray());
    if (value.isArray()) {
        QJsonArray out;
        for (const QCborValue &v : value.toArray())
            out.append(toDriverJson(v));
        return out;
    }
    if (value.isMap()) {
        QJsonObject out;
        const QCborMap map = value.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            out.insert(it.key().toString(), toDriverJson(it.value()));
        return out;
    }
    return value.toJsonValue();
}

QJsonArray toDriverJson(const QCborArray &args)
{
    return toDriverJson(QCborValue(args)).toArray();
}

QString compact(const QJsonValue &value)
{
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
}

} // namespace

class tst_InteropJsClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void connectsAndReportsTransport_data() { transportRows(); }
    void connectsAndReportsTransport();
    void eventsBothWays_data() { transportRows(); }
    void eventsBothWays();
    void clientAckedByServer_data() { transportRows(); }
    void clientAckedByServer();
    void serverAckedByClient_data() { transportRows(); }
    void serverAckedByClient();
    void serverAckTimesOutWhenClientIsSilent_data() { transportRows(); }
    void serverAckTimesOutWhenClientIsSilent();
    void binaryBothWays_data() { transportRows(); }
    void binaryBothWays();
    void loneSurrogatesSurviveARoundTrip_data() { transportRows(); }
    void loneSurrogatesSurviveARoundTrip();
    void burstOverTheBufferLimitReachesTheClient_data() { transportRows(); }
    void burstOverTheBufferLimitReachesTheClient();
    void roomsAndBroadcastOperators_data() { transportRows(); }
    void roomsAndBroadcastOperators();
    void broadcastAckCollectsEveryClient_data() { transportRows(); }
    void broadcastAckCollectsEveryClient();
    void namespacesStaticAndDynamic_data() { transportRows(); }
    void namespacesStaticAndDynamic();
    void unknownNamespaceIsRefused_data() { transportRows(); }
    void unknownNamespaceIsRefused();
    void middlewareErrorReachesClient_data() { transportRows(); }
    void middlewareErrorReachesClient();
    void serverNamespaceDisconnectReason_data() { transportRows(); }
    void serverNamespaceDisconnectReason();
    void clientNamespaceDisconnectReason_data() { transportRows(); }
    void clientNamespaceDisconnectReason();
    void transportCloseReason_data() { transportRows(); }
    void transportCloseReason();
    void serverShutdownReason_data() { transportRows(); }
    void serverShutdownReason();
    void corsPreflightIsAnswered();
    void cookieOfInitialHeadersComesBack_data();
    void cookieOfInitialHeadersComesBack();
    void engineMiddlewareSeesEveryRequest_data() { transportRows(); }
    void engineMiddlewareSeesEveryRequest();
    void webSocketSubprotocolOfTheClient_data() { transportRows(); }
    void webSocketSubprotocolOfTheClient();

private:
    void transportRows();
    /*! Waits for \a client's connect and, if it opened with another transport, its upgrade to
        \a finalTransport; then a message-with-ack round trip. */
    void connectUpgradeAndAck(NodeProcess *client, const QString &finalTransport);
    std::unique_ptr<NodeProcess> startClient(const QStringList &extra = {});
    QString url() const { return QStringLiteral("http://localhost:%1").arg(m_server->serverPort()); }

    std::unique_ptr<SocketIo::Server> m_server;
    QList<QPointer<SocketIo::Socket>> m_sockets;   // sockets of "/" in connection order
};

void tst_InteropJsClient::transportRows()
{
    QTest::addColumn<QString>("transports");
    QTest::addColumn<QString>("finalTransport");
    QTest::newRow("polling only") << QStringLiteral("polling") << QStringLiteral("polling");
    QTest::newRow("websocket only") << QStringLiteral("websocket") << QStringLiteral("websocket");
    QTest::newRow("polling then upgrade") << QStringLiteral("polling,websocket") << QStringLiteral("websocket");
}

void tst_InteropJsClient::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
}

void tst_InteropJsClient::init()
{
    SocketIo::ServerOptions options;
    options.cors.enabled = true;
    options.cors.origins = {QStringLiteral("*")};
    options.pingInterval = 1000ms;
    options.pingTimeout = 1000ms;
    // Node's own client needs about 3 s to take 16 MiB by polling (from Node's server too): the
    // heartbeat of every other test would end that connection first.
    if (qstrcmp(QTest::currentTestFunction(), "burstOverTheBufferLimitReachesTheClient") == 0)
        options.pingTimeout = 20000ms;
    m_server = std::make_unique<SocketIo::Server>(options);
    m_sockets.clear();
    connect(m_server.get(), &SocketIo::Server::connection, this, [this](SocketIo::Socket *socket) {
        m_sockets.append(socket);
        // the conformance handlers, so every test has something to talk to
        socket->on(QStringLiteral("message"), socket, [socket](const SocketIo::Message &m) {
            socket->emitEvent(QStringLiteral("message-back"), m.args());
        });
        socket->on(QStringLiteral("message-with-ack"), socket,
                   [](const SocketIo::Message &m) { m.ack(m.args()); });
        socket->on(QStringLiteral("join"), socket, [socket](const SocketIo::Message &m) {
            socket->join(m.args().at(0).toString());
            m.ack({true});
        });
    });
    QVERIFY2(m_server->listen(QHostAddress::Any, 0), qPrintable(m_server->errorString()));
}

void tst_InteropJsClient::cleanup()
{
    m_server.reset();
}

std::unique_ptr<NodeProcess> tst_InteropJsClient::startClient(const QStringList &extra)
{
    QFETCH(QString, transports);
    auto client = std::make_unique<NodeProcess>();
    const bool started = client->start(QStringLiteral("client-scenario.js"),
                                       QStringList{QStringLiteral("--url"), url(),
                                                   QStringLiteral("--transports"), transports} + extra);
    if (!started)
        qWarning("could not start the Node client: %s", qPrintable(client->diagnostics()));
    return client;
}

#define WAIT_EVENT(client, name, var)                                                             \
    const QJsonObject var = (client)->waitForEvent(QStringLiteral(name), 15000);                   \
    QVERIFY2(!var.isEmpty(), qPrintable(u"no " name u" from the client: "_s + (client)->diagnostics()))

void tst_InteropJsClient::connectUpgradeAndAck(NodeProcess *client, const QString &finalTransport)
{
    WAIT_EVENT(client, "connect", connected);
    if (connected.value(u"transport").toString() != finalTransport) {
        WAIT_EVENT(client, "upgrade", upgraded);
        QCOMPARE(upgraded.value(u"transport").toString(), finalTransport);
    }
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s}, {u"args"_s, QJsonArray{1}},
                  {u"ack"_s, true}, {u"id"_s, 1}});
    WAIT_EVENT(client, "ack", acked);
    QCOMPARE(acked.value(u"args").toArray(), QJsonArray{1});
}

void tst_InteropJsClient::connectsAndReportsTransport()
{
    QFETCH(QString, finalTransport);
    QSignalSpy connections(m_server.get(), &SocketIo::Server::connection);
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(connections.size(), 1);
    QCOMPARE(connected.value(u"id").toString(), m_sockets.first()->id());
    QCOMPARE(m_sockets.first()->id().size(), 20);
    if (finalTransport == u"websocket" && connected.value(u"transport").toString() != finalTransport) {
        WAIT_EVENT(client, "upgrade", upgraded);
        QCOMPARE(upgraded.value(u"transport").toString(), finalTransport);
    } else {
        QCOMPARE(connected.value(u"transport").toString(), finalTransport);
    }
    // the handshake as socket.io builds it
    const SocketIo::Handshake hs = m_sockets.first()->handshake();
    QVERIFY(hs.url.startsWith(u"/socket.io/?EIO=4&transport="));
    QVERIFY(!hs.time.isEmpty());
}

void tst_InteropJsClient::eventsBothWays()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy received(m_sockets.first().data(), &SocketIo::Socket::eventReceived);

    const QJsonArray args{1, QStringLiteral("2"), QJsonObject{{u"3"_s, QJsonArray{false}}},
                          QStringLiteral("line\nbreak \u001e separator"), QJsonValue::Null, 1.5};
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message"_s}, {u"args"_s, args}});
    QTRY_COMPARE(received.size(), 1);
    const auto message = received.first().first().value<SocketIo::Message>();
    QCOMPARE(message.event(), u"message"_s);
    QCOMPARE(compact(toDriverJson(message.args())), compact(args));
    QVERIFY(!message.needsAck());

    // the handler echoed it back as message-back
    const QJsonObject back = client->waitForReceived(QStringLiteral("message-back"), 15000);
    QVERIFY2(!back.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(compact(back.value(u"args")), compact(args));

    // a server-initiated event: the JS client echoes it back in its ack, so key order and
    // non-ASCII text are checked after a full round trip through JavaScript objects
    client->send({{u"cmd"_s, u"autoack"_s}, {u"event"_s, u"greet"_s}, {u"echo"_s, true}});
    // The client runs its commands in order: once it reported its state, the autoack is set up
    // (the server's event below may otherwise overtake the command on its way to the client).
    client->send({{u"cmd"_s, u"state"_s}});
    WAIT_EVENT(client, "state", autoackReady);
    QCborMap ordered;
    ordered.insert(u"z"_s, 1);
    ordered.insert(u"a"_s, 2);
    ordered.insert(u"m"_s, QCborArray{u"x"_s, true});
    const QCborArray greetArgs{ordered, u"é€😀 \u001e"_s};
    SocketIo::AckReply *reply = m_sockets.first()->emitWithAck(QStringLiteral("greet"), greetArgs, 10s);
    reply->setAutoDelete(false);
    QSignalSpy finished(reply, &SocketIo::AckReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QCOMPARE(reply->args(), greetArgs);
    QCOMPARE(reply->args().at(0).toMap().keys(), ordered.keys());
    delete reply;
}

void tst_InteropJsClient::clientAckedByServer()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    const QJsonArray args{1, QStringLiteral("2"), QJsonObject{{u"3"_s, QJsonArray{false}}}};
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s}, {u"args"_s, args},
                  {u"ack"_s, true}, {u"timeout"_s, 10000}, {u"id"_s, 7}});
    WAIT_EVENT(client, "ack", ack);
    QCOMPARE(ack.value(u"id").toInt(), 7);
    QCOMPARE(compact(ack.value(u"args")), compact(args));
}

void tst_InteropJsClient::serverAckedByClient()
{
    auto client = startClient();
    client->send({{u"cmd"_s, u"autoack"_s}, {u"event"_s, u"question"_s}, {u"echo"_s, true}});
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    SocketIo::AckReply *reply = m_sockets.first()->emitWithAck(QStringLiteral("question"),
                                                               {42, u"why"_s}, 10s);
    QVERIFY(reply);
    QVERIFY(!reply->isFinished());   // never synchronously
    QSignalSpy finished(reply, &SocketIo::AckReply::finished);
    reply->setAutoDelete(false);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{42, u"why"_s}));
    delete reply;
}

void tst_InteropJsClient::serverAckTimesOutWhenClientIsSilent()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    SocketIo::AckReply *reply = m_sockets.first()->emitWithAck(QStringLiteral("unanswered"), {1}, 300ms);
    reply->setAutoDelete(false);
    QSignalSpy finished(reply, &SocketIo::AckReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::Timeout);
    QCOMPARE(reply->errorString(), u"operation has timed out"_s);
    // the client did receive the event and asked to ack it; a late ack changes nothing
    const QJsonObject ev = client->waitForReceived(QStringLiteral("unanswered"), 15000);
    QVERIFY(ev.value(u"ack").toBool());
    client->send({{u"cmd"_s, u"ack"_s}, {u"ackId"_s, ev.value(u"ackId")}, {u"args"_s, QJsonArray{u"late"_s}}});
    WAIT_EVENT(client, "acked", acked);
    QTest::qWait(0);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::Timeout);
    delete reply;
}

void tst_InteropJsClient::binaryBothWays()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy received(m_sockets.first().data(), &SocketIo::Socket::eventReceived);

    QByteArray big(70000, Qt::Uninitialized);
    for (int i = 0; i < big.size(); ++i)
        big[i] = char(i * 7);
    const QJsonArray args{NodeProcess::binary(QByteArray::fromHex("010203")),
                          QJsonObject{{u"nested"_s, NodeProcess::binary(big)}}, u"text"_s};
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s}, {u"args"_s, args},
                  {u"ack"_s, true}, {u"timeout"_s, 10000}, {u"id"_s, 1}});
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 15000);
    const auto message = received.first().first().value<SocketIo::Message>();
    QCOMPARE(message.args().at(0).toByteArray(), QByteArray::fromHex("010203"));
    QCOMPARE(message.args().at(1).toMap().value(u"nested"_s).toByteArray(), big);
    // BINARY_ACK back with the same buffers
    WAIT_EVENT(client, "ack", ack);
    QCOMPARE(compact(ack.value(u"args")), compact(args));

    // server → client binary event
    QVERIFY(m_sockets.first()->emitEvent(QStringLiteral("bin"), {QByteArray("\x00\xff", 2), QCborMap{{u"b"_s, QByteArray("xyz")}}}));
    const QJsonObject bin = client->waitForReceived(QStringLiteral("bin"), 15000);
    QVERIFY2(!bin.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(NodeProcess::fromBinary(bin.value(u"args").toArray().at(0)), QByteArray("\x00\xff", 2));
    QCOMPARE(NodeProcess::fromBinary(bin.value(u"args").toArray().at(1).toObject().value(u"b")), QByteArray("xyz"));
}

// A JavaScript string cut inside an emoji holds a lone surrogate; socket.io gives it to the
// application as it is (JSON.parse) and sends it back escaped (JSON.stringify): so must we.
void tst_InteropJsClient::loneSurrogatesSurviveARoundTrip()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy received(m_sockets.first().data(), &SocketIo::Socket::eventReceived);
    const QString cut = u"cut \U0001F600"_s.left(5);   // "cut " and the emoji's high half
    QCOMPARE(cut.size(), 5);
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s},
                  {u"args"_s, QJsonArray{cut, QJsonObject{{u"in"_s, QString(QChar(char16_t(0xdc00)))}}}},
                  {u"ack"_s, true}, {u"id"_s, 3}});
    QTRY_COMPARE(received.size(), 1);
    const auto message = received.first().first().value<SocketIo::Message>();
    QCOMPARE(message.args().at(0).toString(), cut);
    QCOMPARE(message.args().at(1).toMap().value(u"in"_s).toString(), QString(QChar(char16_t(0xdc00))));
    // echoed back by the handler's ack: the client sees the very strings it sent
    WAIT_EVENT(client, "ack", ack);
    QCOMPARE(ack.value(u"args").toArray().at(0).toString(), cut);
    QCOMPARE(ack.value(u"args").toArray().at(1).toObject().value(u"in").toString(),
             QString(QChar(char16_t(0xdc00))));
}

// An application that sends a burst larger than maxBufferedBytes (default 10 MB) in one go to a
// client that keeps up: socket.io delivers all of it (engine.io has no limit), so must we; only
// a peer that takes nothing for writeStallTimeout is dropped.
void tst_InteropJsClient::burstOverTheBufferLimitReachesTheClient()
{
    auto client = startClient();
    client->send({{u"cmd"_s, u"tally"_s}, {u"event"_s, u"chunk"_s}});
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QPointer<SocketIo::Socket> socket = m_sockets.first();
    QSignalSpy disconnected(socket.data(), &SocketIo::Socket::disconnected);

    constexpr int Count = 256;
    constexpr int Size = 64 * 1024;   // 16 MiB in all, sent in one event-loop pass
    QVERIFY(qint64(Count) * Size > SocketIo::ServerOptions().maxBufferedBytes);
    for (int i = 0; i < Count; ++i)
        QVERIFY(socket->emitEvent(QStringLiteral("chunk"), {QByteArray(Size, char(i))}));
    const QJsonObject last = client->waitForLine([](const QJsonObject &line) {
        return line.value(u"event").toString() == u"tally" && line.value(u"count").toInt() == Count;
    }, 60000);
    QVERIFY2(!last.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(last.value(u"bytes").toDouble(), double(Count) * Size);
    // in order: the n-th chunk is filled with n
    int n = 0;
    for (const QJsonObject &line : client->lines()) {
        if (line.value(u"event").toString() != u"tally")
            continue;
        QCOMPARE(line.value(u"first").toInt(), n % 256);
        ++n;
    }
    QCOMPARE(n, Count);
    QVERIFY(socket);
    QVERIFY(disconnected.isEmpty());
    // and the connection goes on
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s}, {u"args"_s, QJsonArray{2}},
                  {u"ack"_s, true}, {u"id"_s, 2}});
    WAIT_EVENT(client, "ack", acked);
    QCOMPARE(acked.value(u"args").toArray(), QJsonArray{2});
}

void tst_InteropJsClient::roomsAndBroadcastOperators()
{
    auto alice = startClient();
    WAIT_EVENT(alice, "connect", aliceConnected);
    auto bob = startClient();
    WAIT_EVENT(bob, "connect", bobConnected);
    QTRY_COMPARE(m_sockets.size(), 2);
    SocketIo::Socket *aliceSocket = m_sockets.at(0);
    QVERIFY(aliceSocket->rooms().contains(aliceSocket->id()));   // own room

    alice->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"room1"_s}},
                 {u"ack"_s, true}, {u"timeout"_s, 10000}, {u"id"_s, 1}});
    WAIT_EVENT(alice, "ack", joined);
    QVERIFY(aliceSocket->rooms().contains(u"room1"_s));

    m_server->to(QStringLiteral("room1")).emitEvent(QStringLiteral("in-room"), {1});
    m_server->except(QStringLiteral("room1")).emitEvent(QStringLiteral("outside-room"), {2});
    aliceSocket->broadcast().emitEvent(QStringLiteral("from-alice"), {3});
    m_server->emitEvent(QStringLiteral("everyone"), {4});

    // each client sees exactly what was meant for it, in order, ending with "everyone"
    auto receivedNames = [](NodeProcess *p) {
        QStringList names;
        for (;;) {
            const QJsonObject ev = p->waitForEvent(QStringLiteral("event"), 15000);
            if (ev.isEmpty())
                return names << u"<timeout>"_s;
            names << ev.value(u"name").toString();
            if (names.last() == u"everyone")
                return names;
        }
    };
    QCOMPARE(receivedNames(alice.get()), (QStringList{u"in-room"_s, u"everyone"_s}));
    QCOMPARE(receivedNames(bob.get()), (QStringList{u"outside-room"_s, u"from-alice"_s, u"everyone"_s}));

    // rooms are left on disconnect
    QSignalSpy left(aliceSocket, &SocketIo::Socket::disconnected);
    alice->send({{u"cmd"_s, u"disconnect"_s}});
    QTRY_COMPARE(left.size(), 1);
    QCOMPARE(m_server->sockets()->adapter()->sockets({u"room1"_s}).size(), 0);
}

void tst_InteropJsClient::broadcastAckCollectsEveryClient()
{
    auto a = startClient();
    a->send({{u"cmd"_s, u"autoack"_s}, {u"event"_s, u"poll"_s}, {u"args"_s, QJsonArray{u"a"_s}}});
    auto b = startClient();
    b->send({{u"cmd"_s, u"autoack"_s}, {u"event"_s, u"poll"_s}, {u"args"_s, QJsonArray{u"b"_s}}});
    WAIT_EVENT(a, "connect", ac);
    WAIT_EVENT(b, "connect", bc);
    QTRY_COMPARE(m_sockets.size(), 2);
    SocketIo::AckReply *reply = m_server->timeout(10s).emitWithAck(QStringLiteral("poll"), {});
    reply->setAutoDelete(false);
    QSignalSpy finished(reply, &SocketIo::AckReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QStringList responses;
    for (const QCborValue &v : reply->responses())
        responses << v.toString();
    responses.sort();
    QCOMPARE(responses, (QStringList{u"a"_s, u"b"_s}));
    delete reply;
}

void tst_InteropJsClient::namespacesStaticAndDynamic()
{
    SocketIo::Namespace *custom = m_server->of(QStringLiteral("custom"));
    QSignalSpy customConnections(custom, &SocketIo::Namespace::connection);
    SocketIo::Namespace *dynamicParent = m_server->of(QRegularExpression(QStringLiteral("^/dyn-\\d+$")));
    QSignalSpy newNamespaces(m_server.get(), &SocketIo::Server::newNamespace);
    QObject::connect(dynamicParent, &SocketIo::Namespace::connection, this, [](SocketIo::Socket *s) {
        s->emitEvent(QStringLiteral("welcome"), {s->nsp()->name()});
    });

    auto client = startClient();
    WAIT_EVENT(client, "connect", mainConnected);
    client->send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/custom"_s}, {u"auth"_s, QJsonObject{{u"token"_s, u"abc"_s}}}});
    client->send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/dyn-42"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(customConnections.size(), 1, 15000);
    auto *customSocket = customConnections.first().first().value<SocketIo::Socket *>();
    QCOMPARE(customSocket->handshake().auth.value(u"token"_s).toString(), u"abc"_s);
    // one Engine.IO connection carries all three namespaces
    QCOMPARE(customSocket->conn(), m_sockets.first()->conn());

    const QJsonObject welcome = client->waitForReceived(QStringLiteral("welcome"), 15000);
    QVERIFY2(!welcome.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(welcome.value(u"namespace").toString(), u"/dyn-42"_s);
    QCOMPARE(welcome.value(u"args").toArray().at(0).toString(), u"/dyn-42"_s);
    QTRY_VERIFY(m_server->findNamespace(QStringLiteral("/dyn-42")) != nullptr);
    QVERIFY(!newNamespaces.isEmpty());
}

void tst_InteropJsClient::unknownNamespaceIsRefused()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    client->send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/random"_s}});
    const QJsonObject err = client->waitForLine([](const QJsonObject &l) {
        return l.value(u"event").toString() == u"connect_error" && l.value(u"namespace").toString() == u"/random";
    }, 15000);
    QVERIFY2(!err.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(err.value(u"message").toString(), u"Invalid namespace"_s);
    // the connection stays up: the main namespace still works
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message"_s}, {u"args"_s, QJsonArray{1}}});
    QVERIFY2(!client->waitForReceived(QStringLiteral("message-back"), 15000).isEmpty(), qPrintable(client->diagnostics()));
}

void tst_InteropJsClient::middlewareErrorReachesClient()
{
    m_server->of(QStringLiteral("/deny"))->use([](SocketIo::Socket *, const SocketIo::Next &next) {
        next(QStringLiteral("not authorized"), QCborMap{{u"code"_s, 42}});
    });
    // an asynchronous middleware that lets the socket through
    m_server->of(QStringLiteral("/slow"))->use([this](SocketIo::Socket *, const SocketIo::Next &next) {
        QTimer::singleShot(50, this, [next] { next(); });
    });
    auto client = startClient({QStringLiteral("--namespace"), QStringLiteral("/deny")});
    WAIT_EVENT(client, "connect_error", err);
    QCOMPARE(err.value(u"message").toString(), u"not authorized"_s);
    QCOMPARE(compact(err.value(u"data")), u"{\"code\":42}"_s);
    client->send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/slow"_s}});
    const QJsonObject ok = client->waitForLine([](const QJsonObject &l) {
        return l.value(u"event").toString() == u"connect" && l.value(u"namespace").toString() == u"/slow";
    }, 15000);
    QVERIFY2(!ok.isEmpty(), qPrintable(client->diagnostics()));
}

void tst_InteropJsClient::serverNamespaceDisconnectReason()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy disconnected(m_sockets.first().data(), &SocketIo::Socket::disconnected);
    m_sockets.first()->disconnect();
    WAIT_EVENT(client, "disconnect", d);
    QCOMPARE(d.value(u"reason").toString(), u"io server disconnect"_s);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().first().value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ServerNamespaceDisconnect);
}

void tst_InteropJsClient::clientNamespaceDisconnectReason()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy disconnected(m_sockets.first().data(), &SocketIo::Socket::disconnected);
    client->send({{u"cmd"_s, u"disconnect"_s}});
    WAIT_EVENT(client, "disconnect", d);
    QCOMPARE(d.value(u"reason").toString(), u"io client disconnect"_s);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().first().value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ClientNamespaceDisconnect);
    QCOMPARE(SocketIo::reasonString(SocketIo::DisconnectReason::ClientNamespaceDisconnect),
             u"client namespace disconnect"_s);
}

void tst_InteropJsClient::transportCloseReason()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy disconnected(m_sockets.first().data(), &SocketIo::Socket::disconnected);
    client->send({{u"cmd"_s, u"close-engine"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 15000);
    QCOMPARE(disconnected.first().first().value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::TransportClose);
}

void tst_InteropJsClient::serverShutdownReason()
{
    auto client = startClient();
    WAIT_EVENT(client, "connect", connected);
    QTRY_COMPARE(m_sockets.size(), 1);
    QSignalSpy disconnected(m_sockets.first().data(), &SocketIo::Socket::disconnected);
    // As with Node, a polling client learns of the shutdown through its parked GET; a GET sent
    // after the port closed would be refused ("xhr poll error"). Close once one is parked.
    QTRY_VERIFY(m_sockets.first()->conn()->isWritable());
    m_server->close();
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().first().value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ServerShuttingDown);
    WAIT_EVENT(client, "disconnect", d);
    QCOMPARE(d.value(u"reason").toString(), u"transport close"_s);
}

void tst_InteropJsClient::corsPreflightIsAnswered()
{
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/socket.io/?EIO=4&transport=polling")
                                     .arg(m_server->serverPort())));
    request.setRawHeader("Origin", "https://example.com");
    request.setRawHeader("Access-Control-Request-Method", "POST");
    request.setRawHeader("Access-Control-Request-Headers", "content-type,x-custom");
    QNetworkReply *reply = nam.sendCustomRequest(request, "OPTIONS");
    QSignalSpy done(reply, &QNetworkReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 10000);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 204);
    QCOMPARE(reply->rawHeader("Access-Control-Allow-Origin"), QByteArray("*"));
    QCOMPARE(reply->rawHeader("Access-Control-Allow-Methods"), QByteArray("GET,HEAD,PUT,PATCH,POST,DELETE"));
    QCOMPARE(reply->rawHeader("Access-Control-Allow-Headers"), QByteArray("content-type,x-custom"));
    reply->deleteLater();

    // a simple request gets the origin header too
    QNetworkRequest get(request.url());
    get.setRawHeader("Origin", "https://example.com");
    QNetworkReply *handshake = nam.get(get);
    QSignalSpy got(handshake, &QNetworkReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(got.size(), 1, 10000);
    QCOMPARE(handshake->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(handshake->rawHeader("Access-Control-Allow-Origin"), QByteArray("*"));
    QVERIFY(handshake->readAll().startsWith("0{\"sid\":"));
    handshake->deleteLater();
}

void tst_InteropJsClient::cookieOfInitialHeadersComesBack_data()
{
    QTest::addColumn<QString>("transports");
    QTest::addColumn<QString>("finalTransport");
    // (socket.io-client reads cookies from polling responses only, not from a 101)
    QTest::newRow("polling only") << QStringLiteral("polling") << QStringLiteral("polling");
    QTest::newRow("polling then upgrade") << QStringLiteral("polling,websocket") << QStringLiteral("websocket");
}

// socket.io's "How to deal with cookies": the server sets a cookie in "initial_headers"
// (EngineOptions::initialHeaders) and a Node client with withCredentials sends it back on every
// later request of the session, the WebSocket upgrade included.
void tst_InteropJsClient::cookieOfInitialHeadersComesBack()
{
    QFETCH(QString, finalTransport);
    SocketIo::ServerOptions options;
    options.pingInterval = 1000ms;
    options.pingTimeout = 1000ms;
    QList<QPair<QString, QByteArray>> seen;   // (request URL, its Cookie header) of every response
    options.initialHeaders = [](SocketIo::EngineHeaders &headers, const SocketIo::EngineRequest &) {
        headers.emplaceBack("Set-Cookie", "randomid=abc123; Path=/; SameSite=Strict");
    };
    options.responseHeaders = [&seen](SocketIo::EngineHeaders &, const SocketIo::EngineRequest &request) {
        seen.append({request.url, request.header("cookie")});
    };
    m_server = std::make_unique<SocketIo::Server>(options);
    connect(m_server.get(), &SocketIo::Server::connection, this, [](SocketIo::Socket *socket) {
        socket->on(QStringLiteral("message-with-ack"), socket, [](const SocketIo::Message &m) { m.ack(m.args()); });
    });
    QVERIFY2(m_server->listen(QHostAddress::Any, 0), qPrintable(m_server->errorString()));

    auto client = startClient({QStringLiteral("--options"), QStringLiteral(R"({"withCredentials":true})")});
    connectUpgradeAndAck(client.get(), finalTransport);
    if (QTest::currentTestFailed())
        return;

    QVERIFY2(seen.size() >= 3, qPrintable(QString::number(seen.size())));
    QVERIFY(!seen.first().first.contains(u"sid="));   // the handshake, before any cookie
    QVERIFY(seen.first().second.isEmpty());
    bool upgradeCarriedIt = false;
    for (qsizetype i = 1; i < seen.size(); ++i) {
        QVERIFY2(seen.at(i).second.contains("randomid=abc123"),
                 qPrintable(seen.at(i).first + u": "_s + QString::fromUtf8(seen.at(i).second)));
        upgradeCarriedIt = upgradeCarriedIt || seen.at(i).first.contains(u"transport=websocket");
    }
    QCOMPARE(upgradeCarriedIt, finalTransport == u"websocket");
}

// socket.io-client's `protocols` option: the WebSocket offers subprotocols, and Node's ws client
// fails a 101 that accepts none ("Server sent no subprotocol"); ws on the server, as the engine
// here, accepts the first
void tst_InteropJsClient::webSocketSubprotocolOfTheClient()
{
    QFETCH(QString, finalTransport);
    auto client = startClient({QStringLiteral("--options"), QStringLiteral(R"({"protocols":["chat","other"]})")});
    connectUpgradeAndAck(client.get(), finalTransport);
}

// engine.io's engine.use(): a middleware (EngineOptions::middlewares) checks a token the Node
// client sends with extraHeaders on every HTTP request of its session, the WebSocket upgrade
// included, and refuses a client without it: that one gets connect_error, nothing connects.
void tst_InteropJsClient::engineMiddlewareSeesEveryRequest()
{
    QFETCH(QString, finalTransport);
    SocketIo::ServerOptions options;
    options.pingInterval = 1000ms;
    options.pingTimeout = 1000ms;
    QList<QPair<QString, QByteArray>> seen;   // (request URL, its Authorization header)
    options.middlewares.append([&seen](const SocketIo::EngineRequest &request, SocketIo::EngineHeaders &,
                                       const SocketIo::EngineNext &next) {
        seen.append({request.url, request.header("authorization")});
        next(request.header("authorization") == "Bearer good" ? QString() : u"bad token"_s);
    });
    m_server = std::make_unique<SocketIo::Server>(options);
    QSignalSpy connections(m_server.get(), &SocketIo::Server::connection);
    connect(m_server.get(), &SocketIo::Server::connection, this, [](SocketIo::Socket *socket) {
        socket->on(QStringLiteral("message-with-ack"), socket, [](const SocketIo::Message &m) { m.ack(m.args()); });
    });
    QVERIFY2(m_server->listen(QHostAddress::Any, 0), qPrintable(m_server->errorString()));

    auto client = startClient({QStringLiteral("--options"),
                               QStringLiteral(R"({"extraHeaders":{"authorization":"Bearer good"}})")});
    connectUpgradeAndAck(client.get(), finalTransport);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!seen.isEmpty());
    bool upgradeSeen = false;
    for (const auto &[url, token] : std::as_const(seen)) {
        QCOMPARE(token, QByteArray("Bearer good"));
        upgradeSeen = upgradeSeen || url.contains(u"transport=websocket"_s);
    }
    QCOMPARE(upgradeSeen, finalTransport == u"websocket"_s);
    QCOMPARE(connections.size(), 1);

    auto refused = startClient({QStringLiteral("--options"),
                                QStringLiteral(R"({"extraHeaders":{"authorization":"Bearer bad"},"reconnection":false})")});
    WAIT_EVENT(refused, "connect_error", err);
    // (the first client keeps polling meanwhile: its requests may come after)
    QVERIFY(std::any_of(seen.cbegin(), seen.cend(), [](const auto &s) { return s.second == "Bearer bad"; }));
    QCOMPARE(connections.size(), 1);
    QCOMPARE(m_server->engine()->clientsCount(), 1);
}

QTEST_MAIN(tst_InteropJsClient)
#include "tst_interop_jsclient.moc"

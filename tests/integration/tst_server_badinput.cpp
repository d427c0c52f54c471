// Bad input never crashes and is handled as socket.io does (protocol.md 2.4): decode errors and
// namespace state violations close the whole connection; sockets see the error and the reason.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCoreApplication>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using SocketIo::DisconnectReason;
using SocketIo::Namespace;
using SocketIo::Server;
using SocketIo::Socket;
using Transport = SioRawClient::Transport;

class tst_ServerBadInput : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void decodeErrorClosesConnection_data();
    void decodeErrorClosesConnection();
    void stateErrorClosesConnection_data();
    void stateErrorClosesConnection();
    void packetBeforeAnyConnectClosesConnection();
    void peerClosingTransportIsReported();
    void handlerDeletingOtherSocketsDuringBroadcastIsSafe();
    void emptyMessageClosesConnection_data();
    void emptyMessageClosesConnection();
    void eventAndDisconnectInOnePayload_data();
    void eventAndDisconnectInOnePayload();
    void eventsOfOnePayloadAreDispatchedInOrder();
    void connectRightAfterDisconnectInOnePayload();
};

void tst_ServerBadInput::decodeErrorClosesConnection_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<QList<QByteArray>>("frames");
    QTest::addColumn<QString>("error");
    // the errors are socket.io-parser's words (the socket's "error" event in socket.io)
    struct Case
    {
        const char *name;
        QList<QByteArray> frames;
        QString error;
    };
    const QList<Case> cases = {
        {"unknown packet type", {"4abc"}, u"unknown packet type NaN"_s},
        {"packet type out of range", {"47[]"}, u"unknown packet type 7"_s},
        {"event payload not an array", {"42{}"}, u"invalid payload"_s},
        {"empty event array", {"42[]"}, u"invalid payload"_s},
        {"reserved event name", {R"(42["disconnect"])"}, u"invalid payload"_s},
        {"letters where the ack id goes", {R"(42abc["x"])"}, u"invalid payload"_s},
        {"connect payload not an object", {R"(40"abc")"}, u"invalid payload"_s},
        {"binary event with zero attachments", {R"(450-["x",{"_placeholder":true,"num":0}])"}, u"Illegal attachments"_s},
        {"attachment count that is not a number", {R"(45x-["x"])"}, u"Illegal attachments"_s},
        {"too many attachments", {R"(4511-["x"])"}, u"too many attachments"_s},
        {"text while awaiting an attachment", {R"(451-["x",{"_placeholder":true,"num":0}])", R"(42["y"])"},
         u"got plaintext data when reconstructing a packet"_s},
    };
    for (const Case &c : cases) {
        QTest::addRow("%s over websocket", c.name) << Transport::WebSocket << c.frames << c.error;
        QTest::addRow("%s over polling", c.name) << Transport::Polling << c.frames << c.error;
    }
}

void tst_ServerBadInput::decodeErrorClosesConnection()
{
    QFETCH(Transport, transport);
    QFETCH(QList<QByteArray>, frames);
    QFETCH(QString, error);
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QSignalSpy errors(socket, &Socket::errorOccurred);
    QSignalSpy disconnected(socket, &Socket::disconnected);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"invalid Socket.IO packet"_s));
    for (const QByteArray &frame : frames)
        client.send(frame);
    QVERIFY(client.waitForClosed());
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).toString(), error);
    QCOMPARE(disconnected.at(0).at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
}

void tst_ServerBadInput::stateErrorClosesConnection_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<QByteArray>("frame");
    const QList<QPair<const char *, QByteArray>> cases = {
        {"event for a namespace not joined", R"(42/other,["x"])"},
        {"duplicate connect", "40"},
        {"connect error sent by the client", R"(44{"message":"x"})"},
        {"ack for a namespace not joined", R"(43/other,1[])"},
    };
    for (const auto &c : cases) {
        QTest::addRow("%s over websocket", c.first) << Transport::WebSocket << c.second;
        QTest::addRow("%s over polling", c.first) << Transport::Polling << c.second;
    }
}

void tst_ServerBadInput::stateErrorClosesConnection()
{
    QFETCH(Transport, transport);
    QFETCH(QByteArray, frame);
    auto io = sioStartServer();
    QVERIFY(io);
    io->of(u"/other"_s);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QSignalSpy disconnected(socket, &Socket::disconnected);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"closing the connection"_s));
    client.send(frame);
    QVERIFY(client.waitForClosed());
    QTRY_COMPARE(disconnected.size(), 1);
    const auto reason = disconnected.at(0).at(0).value<DisconnectReason>();
    QVERIFY2(reason == DisconnectReason::ForcedClose || reason == DisconnectReason::ForcedServerClose,
             qPrintable(SocketIo::reasonString(reason)));
}

void tst_ServerBadInput::packetBeforeAnyConnectClosesConnection()
{
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"not joined; closing the connection"_s));
    client.send(R"(42["early"])");
    QVERIFY(client.waitForClosed());
}

void tst_ServerBadInput::peerClosingTransportIsReported()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QSignalSpy disconnected(socket, &Socket::disconnected);
    client.close();
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<DisconnectReason>(), DisconnectReason::TransportClose);
}

void tst_ServerBadInput::handlerDeletingOtherSocketsDuringBroadcastIsSafe()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient a;
    SioRawClient b;
    SioRawClient c;
    for (SioRawClient *client : {&a, &b, &c}) {
        QVERIFY(client->open(io->serverPort()));
        QVERIFY(client->connectNamespace().startsWith("40"));
    }
    QTRY_COMPARE(connections.size(), 3);
    // whoever sees the outgoing event first disconnects everybody, mid-broadcast
    for (const auto &args : connections) {
        auto *socket = args.at(0).value<Socket *>();
        connect(socket, &Socket::eventSent, socket, [&io] { io->disconnectSockets(true); });
    }
    io->emitEvent(u"boom"_s);
    QTRY_COMPARE(io->sockets()->socketCount(), 0);
    QVERIFY(a.waitForClosed());
    QVERIFY(b.waitForClosed());
    QVERIFY(c.waitForClosed());
}

void tst_ServerBadInput::emptyMessageClosesConnection_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_ServerBadInput::emptyMessageClosesConnection()
{
    // An Engine.IO message without data ("4") is no Socket.IO packet (socket.io's decoder
    // refuses it); it is not read as a CONNECT to "/".
    QFETCH(Transport, transport);
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"invalid Socket.IO packet"_s));
    client.send("4");
    QVERIFY(client.waitForClosed());
    QCOMPARE(connections.size(), 0);
    for (const SioRawClient::Frame &frame : client.history())
        QVERIFY2(!frame.data.startsWith("40"), frame.data.constData());
}

void tst_ServerBadInput::eventAndDisconnectInOnePayload_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QStringList>("caught");
    // socket.io runs event handlers on a later tick than the packets of the same payload are
    // read: an EVENT followed by the socket's DISCONNECT in one POST reaches the catch-all
    // listeners but no handler (the socket is no longer connected by then)
    QTest::newRow("event, then disconnect") << QByteArray("42[\"message\",\"x\"]\x1e" "41")
                                            << QStringList{u"message"_s};
    // ...and handles the DISCONNECT on a later tick too: an EVENT behind it in the same POST still
    // finds the socket, and is dropped as an event after disconnection, not taken as a packet for
    // a namespace never joined (which closes the connection)
    QTest::newRow("disconnect, then event") << QByteArray("41\x1e" "421[\"message\",\"x\"]") << QStringList();
}

void tst_ServerBadInput::eventAndDisconnectInOnePayload()
{
    QFETCH(QByteArray, payload);
    QFETCH(QStringList, caught);
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(Transport::Polling);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    int handled = 0;
    QStringList seen;
    socket->on(u"message"_s, socket, [&handled](const SocketIo::Message &) { ++handled; });
    connect(socket, &Socket::eventReceived, socket, [&seen](const SocketIo::Message &m) { seen.append(m.event()); });
    QSignalSpy disconnected(socket, &Socket::disconnected);
    client.postPayload(payload);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<DisconnectReason>(), DisconnectReason::ClientNamespaceDisconnect);
    QCOMPARE(seen, caught);
    // the deferred dispatch has run by the time the event loop comes back: nothing was handled
    QCoreApplication::processEvents();
    QCOMPARE(handled, 0);

    // the connection stays open and joins the namespace again; a packet for it in a later POST,
    // after the socket left, is a state error again
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 2);
    auto *second = connections.at(1).at(0).value<Socket *>();
    QSignalSpy secondDisconnected(second, &Socket::disconnected);
    client.postPayload("41");
    QTRY_COMPARE(secondDisconnected.size(), 1);
    QCoreApplication::processEvents();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"not joined; closing the connection"_s));
    client.postPayload("42[\"message\",\"y\"]");
    QVERIFY(client.waitForClosed());
    QCOMPARE(handled, 0);
}

void tst_ServerBadInput::connectRightAfterDisconnectInOnePayload()
{
    // socket.io handles a DISCONNECT on a later tick: a CONNECT of the same namespace behind it
    // in the same payload (one POST; over WebSocket, frames handled in the same read) still finds
    // the socket there, "invalid state", and the connection is closed. (socket.io's socket then
    // leaves with "forced server close"; ours has already left with "client namespace
    // disconnect".) Another connection is not disturbed.
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient bystander(Transport::WebSocket);
    QVERIFY(bystander.open(io->serverPort()));
    QVERIFY(bystander.connectNamespace().startsWith("40"));
    SioRawClient client(Transport::Polling);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 2);
    auto *socket = connections.at(1).at(0).value<Socket *>();
    QSignalSpy disconnected(socket, &Socket::disconnected);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"CONNECT for / right after its DISCONNECT"_s));
    client.postPayload("41\x1e" "40");
    QVERIFY(client.waitForClosed());
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(connections.size(), 2);   // no new socket
    QTRY_COMPARE(io->engine()->clientsCount(), 1);
    QVERIFY(!bystander.isClosed());
}

void tst_ServerBadInput::eventsOfOnePayloadAreDispatchedInOrder()
{
    // the counterpart: several events in one POST all reach their handlers, in order, with acks
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(Transport::Polling);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QStringList handled;
    socket->on(u"a"_s, socket, [&handled](const SocketIo::Message &m) {
        handled.append(u"a"_s + m.args().at(0).toString());
        m.ack({m.args().at(0)});
    });
    socket->on(u"b"_s, socket, [&handled](const SocketIo::Message &) { handled.append(u"b"_s); });
    client.postPayload("42[\"a\",\"1\"]\x1e" "42[\"b\"]\x1e" "425[\"a\",\"2\"]");
    QTRY_COMPARE(handled, (QStringList{u"a1"_s, u"b"_s, u"a2"_s}));
    QCOMPARE(client.waitForText(), QByteArray(R"(435["2"])"));
}

QTEST_GUILESS_MAIN(tst_ServerBadInput)
#include "tst_server_badinput.moc"

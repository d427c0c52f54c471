// Bad input never crashes and is handled as socket.io does (protocol.md 2.4): decode errors and
// namespace state violations close the whole connection; sockets see the error and the reason.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

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
};

void tst_ServerBadInput::decodeErrorClosesConnection_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<QList<QByteArray>>("frames");
    const QList<QPair<const char *, QList<QByteArray>>> cases = {
        {"unknown packet type", {"4abc"}},
        {"event payload not an array", {"42{}"}},
        {"empty event array", {"42[]"}},
        {"reserved event name", {R"(42["disconnect"])"}},
        {"letters where the ack id goes", {R"(42abc["x"])"}},
        {"connect payload not an object", {R"(40"abc")"}},
        {"binary event with zero attachments", {R"(450-["x",{"_placeholder":true,"num":0}])"}},
        {"too many attachments", {R"(4511-["x"])"}},
        {"text while awaiting an attachment", {R"(451-["x",{"_placeholder":true,"num":0}])", R"(42["y"])"}},
    };
    for (const auto &c : cases) {
        QTest::addRow("%s over websocket", c.first) << Transport::WebSocket << c.second;
        QTest::addRow("%s over polling", c.first) << Transport::Polling << c.second;
    }
}

void tst_ServerBadInput::decodeErrorClosesConnection()
{
    QFETCH(Transport, transport);
    QFETCH(QList<QByteArray>, frames);
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

QTEST_GUILESS_MAIN(tst_ServerBadInput)
#include "tst_server_badinput.moc"

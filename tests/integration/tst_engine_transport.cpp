// Per-connection cost of the engine (docs/benchmarks.md, "Per-connection cost"): what an idle
// connection keeps, the socket options of accepted connections, the WebSocket write path that
// frames our packets on the socket itself, and the engine-wide heartbeat deadlines. No timing
// assertions: everything is read back or waited for with QTRY.
#include "rawhttpclient.h"
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QAbstractEventDispatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include <memory>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace SocketIo;
using namespace Qt::StringLiterals;

namespace {

/*! A QWebSocket peer that records what it receives and can answer pings. */
struct WsPeer
{
    std::unique_ptr<QWebSocket> ws = std::make_unique<QWebSocket>();
    QStringList texts;
    QList<QByteArray> binaries;
    bool answerPings = true;

    WsPeer()
    {
        QObject::connect(ws.get(), &QWebSocket::textMessageReceived, ws.get(), [this](const QString &m) {
            texts.append(m);
            if (m == u"2"_s && answerPings)
                ws->sendTextMessage(u"3"_s);
        });
        QObject::connect(ws.get(), &QWebSocket::binaryMessageReceived, ws.get(),
                         [this](const QByteArray &m) { binaries.append(m); });
    }
    bool open(quint16 port, const QString &query = u"EIO=4&transport=websocket"_s)
    {
        ws->open(QUrl(u"ws://127.0.0.1:%1/engine.io/?%2"_s.arg(port).arg(query)));
        return QTest::qWaitFor([this] { return ws->state() == QAbstractSocket::ConnectedState; }, 5000);
    }
};

/*! \a client connected to \a acceptor (listening on a free port from now on); the accepted socket,
    owned by \a acceptor, or null. */
QTcpSocket *acceptConnection(QTcpServer &acceptor, QTcpSocket &client)
{
    if (!acceptor.listen(QHostAddress::LocalHost, 0))
        return nullptr;
    client.connectToHost(QHostAddress::LocalHost, acceptor.serverPort());
    if (!QTest::qWaitFor([&acceptor] { return acceptor.hasPendingConnections(); }, 5000))
        return nullptr;
    return acceptor.nextPendingConnection();
}

/*! Objects of class \a className under \a root (recursively). */
int countObjects(const QObject *root, const char *className)
{
    int n = 0;
    const QList<QObject *> all = root->findChildren<QObject *>();
    for (const QObject *o : all) {
        if (qstrcmp(o->metaObject()->className(), className) == 0)
            ++n;
    }
    return n;
}

/*! QTimers under \a root that do not belong to a QWebSocket (its data processor has one). */
int timersOutsideWebSockets(const QObject *root)
{
    int n = 0;
    const QList<QTimer *> timers = root->findChildren<QTimer *>();
    for (const QTimer *t : timers) {
        bool inWebSocket = false;
        for (const QObject *p = t->parent(); p; p = p->parent())
            inWebSocket = inWebSocket || qobject_cast<const QWebSocket *>(p);
        if (!inWebSocket)
            ++n;
    }
    return n;
}

} // namespace

class tst_EngineTransport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void listenBacklogIs511();
    void acceptedSocketsHaveTcpNoDelay();
    void upgradedConnectionsKeepNoHttpFrontOrSessionTimers();
    void pollingUpgradeReleasesHttpFront();
    void framesOfEverySizeArriveIntactAndInOrder();
    void burstToManyPeersArrivesComplete();
    void invalidUtf8TextIsReplacedNotFatal();
    void heartbeatsOfManySessionsAreIndependent();
    void sessionDeletedWhileItsDeadlineIsQueued();
    void broadcastFramedOnceSameBytesOnEveryTransport();
    void singleEmitsAndSendTextInterleaveInOrder();
    void closingSessionGetsNoFurtherBroadcasts();
    void httpFrontWaitsForAHeadWithoutTimerObjects();
    void closedWebSocketsLeaveNoSocketsAndKeepSessionOrder();
    void webSocketUpgradeIgnoresExpect();
    void webSocketTextPacketsKeepTheirBytes();
    void openPacketFollowsTheOptions();
    void upgradeTimersArePreciseTimeoutAndNoopsWithoutTimerObjects();
    void pollingCloseWaitsForAGetOnATimerWithoutTimerObjects();
    void sessionDeletedWithItsWebSocketOpen();
    void serverCloseOfManyWebSocketsWhilePeersSend();
    void unansweredCloseHandshakeIsDroppedOnTheSharedTimer();
    void handedSocketWhosePeerClosedIsReadToTheEnd_data();
    void handedSocketWhosePeerClosedIsReadToTheEnd();
    void sessionEndedByItsPostsMessageStillAnswersThePost_data();
    void sessionEndedByItsPostsMessageStillAnswersThePost();

private:
    EngineServer *startServer(const EngineOptions &options = {});
    std::unique_ptr<EngineServer> m_server;
};

void tst_EngineTransport::initTestCase()
{
    qRegisterMetaType<SocketIo::EngineSession *>();
    sioRegisterMetaTypes();
}

void tst_EngineTransport::cleanup()
{
    m_server.reset();
}

EngineServer *tst_EngineTransport::startServer(const EngineOptions &options)
{
    m_server = std::make_unique<EngineServer>();
    m_server->setOptions(options);
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        qFatal("listen failed");
    return m_server.get();
}

void tst_EngineTransport::listenBacklogIs511()
{
    startServer();
    // the engine's own listening socket (QWebSocketServer, also a child, has an idle one inside)
    const QList<QTcpServer *> servers = m_server->findChildren<QTcpServer *>(Qt::FindDirectChildrenOnly);
    QCOMPARE(servers.size(), 1);
    QCOMPARE(servers.first()->listenBacklogSize(), 511);
    QVERIFY(servers.first()->isListening());
}

// Both ways in: a connection the engine accepts itself and one handed to handleConnection().
void tst_EngineTransport::acceptedSocketsHaveTcpNoDelay()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);

    QTcpServer acceptor;
    QTcpSocket client;
    QPointer<QTcpSocket> accepted = acceptConnection(acceptor, client);
    QVERIFY(accepted);
    int value = 0;
    socklen_t len = sizeof(value);
    QCOMPARE(::getsockopt(int(accepted->socketDescriptor()), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    QCOMPARE(value, 0);   // off by default: what the engine changes is visible
    m_server->handleConnection(accepted);
    value = 0;
    QCOMPARE(::getsockopt(int(accepted->socketDescriptor()), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    QVERIFY(value != 0);
    QCOMPARE(accepted->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);

    // A WebSocket the engine accepted itself: read the option on the session's socket, found by
    // the peer's port among the engine's sockets.
    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 1);
    const QList<QTcpSocket *> sockets = m_server->findChildren<QTcpSocket *>();
    QTcpSocket *serverSide = nullptr;
    for (QTcpSocket *s : sockets) {
        if (s->peerPort() == peer.ws->localPort())
            serverSide = s;
    }
    QVERIFY(serverSide);
    value = 0;
    QCOMPARE(::getsockopt(int(serverSide->socketDescriptor()), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    QVERIFY(value != 0);
}

// An idle WebSocket session keeps neither the HTTP front (HttpConnection and its timers) nor
// timers of its own: heartbeats are deadlines in one engine-wide queue.
void tst_EngineTransport::upgradedConnectionsKeepNoHttpFrontOrSessionTimers()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    const int timersBefore = timersOutsideWebSockets(m_server.get());
    constexpr int N = 20;
    std::vector<std::unique_ptr<WsPeer>> peers;
    for (int i = 0; i < N; ++i) {
        peers.push_back(std::make_unique<WsPeer>());
        QVERIFY(peers.back()->open(m_server->serverPort()));
    }
    QTRY_COMPARE(connections.size(), N);
    for (const auto &p : peers)
        QTRY_COMPARE(p->texts.size(), 1);   // the open packet
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::HttpConnection"), 0);
    QCOMPARE(countObjects(m_server.get(), "SocketIo::EngineSession"), N);
    QCOMPARE(countObjects(m_server.get(), "SocketIo::WebSocketTransport"), N);
    // At most the engine's one heartbeat timer came in, however many sessions there are.
    QVERIFY2(timersOutsideWebSockets(m_server.get()) <= timersBefore + 1,
             qPrintable(u"%1 timers for %2 sessions"_s.arg(timersOutsideWebSockets(m_server.get())).arg(N)));
    for (EngineSession *s : m_server->sessions())
        QCOMPARE(s->state(), EngineSession::State::Open);
}

void tst_EngineTransport::pollingUpgradeReleasesHttpFront()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    QTcpSocket http;
    http.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(http.waitForConnected(5000));
    http.write("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QTRY_VERIFY((response += http.readAll()).contains("\"sid\":\"") && response.endsWith('}'));
    const qsizetype at = response.indexOf("\"sid\":\"") + 7;
    const QString sid = QString::fromLatin1(response.mid(at, response.indexOf('"', at) - at));
    QTRY_COMPARE(http.state(), QAbstractSocket::UnconnectedState);   // Connection: close

    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort(), u"EIO=4&transport=websocket&sid="_s + sid));
    peer.ws->sendTextMessage(u"2probe"_s);
    QTRY_VERIFY(peer.texts.contains(u"3probe"_s));
    peer.ws->sendTextMessage(u"5"_s);
    EngineSession *session = m_server->session(sid);
    QVERIFY(session);
    QTRY_VERIFY(session->isUpgraded());
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::HttpConnection"), 0);
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::PollingTransport"), 0);
    session->sendText("after upgrade");
    QTRY_VERIFY(peer.texts.contains(u"4after upgrade"_s));
}

// Our own frame headers: 7-bit, 16-bit and 64-bit lengths, text and binary, in order.
void tst_EngineTransport::framesOfEverySizeArriveIntactAndInOrder()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QTRY_COMPARE(peer.texts.size(), 1);
    // Engine.IO text frames are "4" + data: the frame payload is one byte longer than the data.
    // 1022-1025: either side of the payload size up to which a frame is copied behind its header.
    const QList<qsizetype> sizes{0, 1, 124, 125, 126, 127, 1022, 1023, 1024, 1025, 65534, 65535,
                                 65536, 70000, 300000};
    QStringList expectedTexts;
    QList<QByteArray> expectedBinaries;
    int i = 0;
    for (qsizetype size : sizes) {
        QByteArray text(size, 'a' + char(i % 26));
        if (size > 2)
            text[size / 2] = char(0xC3), text[size / 2 + 1] = char(0xA9);   // é: multi-byte UTF-8
        session->sendText(text);
        expectedTexts.append(u"4"_s + QString::fromUtf8(text));
        QByteArray bin(size, Qt::Uninitialized);
        for (qsizetype k = 0; k < size; ++k)
            bin[k] = char((k * 7 + i) & 0xFF);
        session->sendBinary(bin);
        expectedBinaries.append(bin);
        ++i;
    }
    QTRY_COMPARE_WITH_TIMEOUT(peer.binaries.size(), expectedBinaries.size(), 20000);
    QTRY_COMPARE(peer.texts.size(), expectedTexts.size() + 1);
    QCOMPARE(peer.texts.mid(1), expectedTexts);
    QCOMPARE(peer.binaries, expectedBinaries);
    QCOMPARE(session->state(), EngineSession::State::Open);
    QCOMPARE(peer.ws->state(), QAbstractSocket::ConnectedState);
}

// Many messages to many peers in one event-loop pass (the batched write path): each peer gets
// every message once, in order.
void tst_EngineTransport::burstToManyPeersArrivesComplete()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    constexpr int Peers = 10;
    constexpr int Messages = 200;
    std::vector<std::unique_ptr<WsPeer>> peers;
    for (int i = 0; i < Peers; ++i) {
        peers.push_back(std::make_unique<WsPeer>());
        QVERIFY(peers.back()->open(m_server->serverPort()));
    }
    QTRY_COMPARE(connections.size(), Peers);
    for (const auto &p : peers)
        QTRY_COMPARE(p->texts.size(), 1);
    const QList<EngineSession *> sessions = m_server->sessions();
    for (int m = 0; m < Messages; ++m) {
        // one shared buffer for all recipients, like a broadcast
        const QByteArray data = "message " + QByteArray::number(m) + ' ' + QByteArray(m * 10, 'x');
        for (EngineSession *s : sessions)
            s->sendText(data);
    }
    for (const auto &p : peers) {
        QTRY_COMPARE_WITH_TIMEOUT(p->texts.size(), Messages + 1, 20000);
        for (int m = 0; m < Messages; ++m) {
            const QString expected = u"4message %1 "_s.arg(m) + QString(m * 10, u'x');
            QCOMPARE(p->texts.at(m + 1), expected);
        }
    }
}

// What an application passes to sendText() goes out as text; invalid UTF-8 must not make the
// peer fail the connection (it gets U+FFFD, as through QWebSocket's QString before).
void tst_EngineTransport::invalidUtf8TextIsReplacedNotFatal()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QTRY_COMPARE(peer.texts.size(), 1);
    session->sendText(QByteArray("bad \xFF\xFE end"));
    session->sendText("good");
    QTRY_COMPARE(peer.texts.size(), 3);
    QCOMPARE(peer.texts.at(1), QString::fromUtf8(QByteArray("4bad \xFF\xFE end")));
    QVERIFY(peer.texts.at(1).contains(QChar::ReplacementCharacter));
    QCOMPARE(peer.texts.at(2), u"4good"_s);
    QCOMPARE(peer.ws->state(), QAbstractSocket::ConnectedState);
}

// One deadline queue for all sessions: the silent peer times out, the others keep being pinged.
void tst_EngineTransport::heartbeatsOfManySessionsAreIndependent()
{
    EngineOptions o;
    o.pingInterval = std::chrono::milliseconds(50);
    o.pingTimeout = std::chrono::milliseconds(150);
    startServer(o);
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer a, silent, c;
    silent.answerPings = false;
    QVERIFY(a.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 1);
    QVERIFY(silent.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 2);
    QVERIFY(c.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 3);
    QSignalSpy closedA(connections.at(0).first().value<EngineSession *>(), &EngineSession::closed);
    QSignalSpy closedSilent(connections.at(1).first().value<EngineSession *>(), &EngineSession::closed);
    QSignalSpy closedC(connections.at(2).first().value<EngineSession *>(), &EngineSession::closed);
    QTRY_COMPARE_WITH_TIMEOUT(closedSilent.size(), 1, 10000);
    QCOMPARE(closedSilent.first().at(0).toString(), u"ping timeout"_s);
    QCOMPARE(silent.texts.count(u"2"_s), 1);   // pinged once, never answered
    // The others go on: several more rounds each after the silent one is gone.
    const qsizetype pingsA = a.texts.count(u"2"_s), pingsC = c.texts.count(u"2"_s);
    QTRY_VERIFY_WITH_TIMEOUT(a.texts.count(u"2"_s) >= pingsA + 3 && c.texts.count(u"2"_s) >= pingsC + 3, 10000);
    QCOMPARE(closedA.size(), 0);
    QCOMPARE(closedC.size(), 0);
    QCOMPARE(m_server->clientsCount(), 2);
}

// A session deleted by the application while its heartbeat is queued leaves the queue; the
// others' heartbeats still run.
void tst_EngineTransport::sessionDeletedWhileItsDeadlineIsQueued()
{
    EngineOptions o;
    o.pingInterval = std::chrono::milliseconds(50);
    o.pingTimeout = std::chrono::milliseconds(1000);
    startServer(o);
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer a, b;
    QVERIFY(a.open(m_server->serverPort()));
    QVERIFY(b.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 2);
    delete connections.at(0).first().value<EngineSession *>();
    QCOMPARE(m_server->clientsCount(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(b.texts.count(u"2"_s) >= 3, 10000);
    QCOMPARE(m_server->clientsCount(), 1);
}

QTEST_MAIN(tst_EngineTransport)

namespace {

/*! A Socket.IO server whose sockets all join "room", and raw peers on both transports. */
struct RoomFixture
{
    std::unique_ptr<Server> io = sioStartServer(ServerOptions());
    QList<Socket *> sockets;   // in connection order, one per peer
    std::vector<std::unique_ptr<SioRawClient>> peers;

    RoomFixture()
    {
        QObject::connect(io.get(), &Server::connection, io.get(), [this](Socket *s) {
            s->join(u"room"_s);
            sockets.append(s);
        });
    }
    bool add(SioRawClient::Transport transport)
    {
        auto peer = std::make_unique<SioRawClient>(transport);
        if (!peer->open(io->serverPort()) || !peer->connectNamespace().startsWith("40"))
            return false;
        peers.push_back(std::move(peer));
        return QTest::qWaitFor([this] { return sockets.size() == qsizetype(peers.size()); }, 5000);
    }
};

/*! The messages \a peer received after the CONNECT reply, text as on the wire, binary tagged. */
QList<QByteArray> messagesAfterConnect(const SioRawClient &peer)
{
    QList<QByteArray> out;
    const QList<SioRawClient::Frame> history = peer.history();
    for (qsizetype i = 1; i < history.size(); ++i)   // [0] is the CONNECT reply
        out.append(history.at(i).binary ? "<bin>" + history.at(i).data : history.at(i).data);
    return out;
}

} // namespace

// A broadcast is encoded and framed once (Adapter::encode) and every recipient's session sends
// those bytes: the same text on WebSocket and polling recipients of one room, binary attachments
// right after their text, and recipients that were not writable (a burst in one pass: the first
// message leaves, the rest queue) get everything later, in order.
void tst_EngineTransport::broadcastFramedOnceSameBytesOnEveryTransport()
{
    RoomFixture f;
    QVERIFY(f.io);
    for (auto t : {SioRawClient::Transport::WebSocket, SioRawClient::Transport::Polling,
                   SioRawClient::Transport::WebSocket, SioRawClient::Transport::Polling})
        QVERIFY(f.add(t));

    // "é€😀", a record separator and a quote: multi-byte UTF-8 and JSON escapes in the frame
    const QString text = QString::fromUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \x1E \"q\"");
    const QByteArray textJson = "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \\u001e \\\"q\\\"\"";
    QList<QByteArray> expected;
    constexpr int Count = 40;
    for (int i = 0; i < Count; ++i) {
        if (i % 8 == 7) {
            const QByteArray blob = "blob" + QByteArray::number(i) + QByteArray("\x00\xFF", 2);
            f.io->to(u"room"_s).emitEvent(u"m"_s, {i, blob});
            expected.append("451-[\"m\"," + QByteArray::number(i) + ",{\"_placeholder\":true,\"num\":0}]");
            expected.append("<bin>" + blob);
        } else {
            f.io->to(u"room"_s).emitEvent(u"m"_s, {i, text});
            expected.append("42[\"m\"," + QByteArray::number(i) + "," + textJson + "]");
        }
    }
    // all four queued part of the burst: nothing more could go out in this pass
    for (Socket *s : std::as_const(f.sockets))
        QVERIFY(!s->conn()->isWritable());
    for (const auto &peer : f.peers)
        QTRY_COMPARE_WITH_TIMEOUT(messagesAfterConnect(*peer).size(), expected.size(), 10000);
    for (const auto &peer : f.peers)
        QCOMPARE(messagesAfterConnect(*peer), expected);
    // payload bytes counted as before (the type digit plus the text; base64 size for polling)
    QCOMPARE(f.sockets.at(0)->conn()->bytesSent(), f.sockets.at(2)->conn()->bytesSent());
    QCOMPARE(f.sockets.at(1)->conn()->bytesSent(), f.sockets.at(3)->conn()->bytesSent());
    for (const auto &peer : f.peers)
        QVERIFY(!peer->isClosed());
}

// A socket's own emits (framed once by ServerClient) and application text through
// EngineSession::sendText() (framed by the engine, invalid UTF-8 replaced) keep their order on
// one session, on both transports.
void tst_EngineTransport::singleEmitsAndSendTextInterleaveInOrder()
{
    RoomFixture f;
    QVERIFY(f.io);
    QVERIFY(f.add(SioRawClient::Transport::WebSocket));
    QVERIFY(f.add(SioRawClient::Transport::Polling));
    for (Socket *s : std::as_const(f.sockets)) {
        s->emitEvent(u"a"_s, {1});
        s->conn()->sendText("2[\"raw\"]");
        s->emitEvent(u"b"_s, {QByteArray("\x01\x02", 2)});
        s->to(u"room"_s).emitEvent(u"c"_s, {3});   // broadcast from a socket: the other peer
        s->emitEvent(u"d"_s, {4});
    }
    const QList<QByteArray> expectedWs = {"42[\"a\",1]", "42[\"raw\"]",
        "451-[\"b\",{\"_placeholder\":true,\"num\":0}]", "<bin>" + QByteArray("\x01\x02", 2),
        "42[\"d\",4]", "42[\"c\",3]"};
    // the WebSocket socket's broadcast came first, before the polling socket's own emits
    const QList<QByteArray> expectedPolling = {"42[\"c\",3]", "42[\"a\",1]", "42[\"raw\"]",
        "451-[\"b\",{\"_placeholder\":true,\"num\":0}]", "<bin>" + QByteArray("\x01\x02", 2),
        "42[\"d\",4]"};
    QTRY_COMPARE(messagesAfterConnect(*f.peers.at(0)), expectedWs);
    QTRY_COMPARE(messagesAfterConnect(*f.peers.at(1)), expectedPolling);

    // invalid UTF-8 from the application is still replaced on WebSocket, between framed messages
    Socket *ws = f.sockets.at(0);
    ws->emitEvent(u"e"_s, {5});
    ws->conn()->sendText(QByteArray("bad \xFF end"));
    ws->emitEvent(u"f"_s, {6});
    QTRY_COMPARE(messagesAfterConnect(*f.peers.at(0)).size(), expectedWs.size() + 3);
    const QList<QByteArray> got = messagesAfterConnect(*f.peers.at(0)).mid(expectedWs.size());
    QCOMPARE(got.at(0), QByteArray("42[\"e\",5]"));
    QCOMPARE(got.at(1), QByteArray("4bad \xEF\xBF\xBD end"));
    QCOMPARE(got.at(2), QByteArray("42[\"f\",6]"));
    QVERIFY(!f.peers.at(0)->isClosed());
}

// A session that is closing (its queue still draining) or closed takes no further packets: the
// broadcast after close() reaches the other members only, and the closing one still gets what was
// queued before, then its close.
void tst_EngineTransport::closingSessionGetsNoFurtherBroadcasts()
{
    RoomFixture f;
    QVERIFY(f.io);
    QVERIFY(f.add(SioRawClient::Transport::WebSocket));
    QVERIFY(f.add(SioRawClient::Transport::Polling));
    QVERIFY(f.add(SioRawClient::Transport::WebSocket));
    for (int i = 0; i < 5; ++i)
        f.io->to(u"room"_s).emitEvent(u"m"_s, {i});
    EngineSession *closing = f.sockets.at(0)->conn();
    QVERIFY(!closing->isWritable());   // part of the burst is queued
    closing->close();
    QCOMPARE(closing->state(), EngineSession::State::Closing);
    f.io->to(u"room"_s).emitEvent(u"late"_s, {});
    QList<QByteArray> burst;
    for (int i = 0; i < 5; ++i)
        burst.append("42[\"m\"," + QByteArray::number(i) + "]");
    // the queued part still went out after close(), then the close
    QTRY_VERIFY(f.peers.at(0)->isClosed());
    QCOMPARE(messagesAfterConnect(*f.peers.at(0)), burst);
    QTRY_COMPARE(messagesAfterConnect(*f.peers.at(1)), burst + QList<QByteArray>{"42[\"late\"]"});
    QTRY_COMPARE(messagesAfterConnect(*f.peers.at(2)), burst + QList<QByteArray>{"42[\"late\"]"});
}

// A connection waiting for its request head has its idle limit (30 s) running as a timer of the
// HttpConnection itself (a QBasicTimer: before, two QTimer objects with a connection each per
// connection), no QTimer under the engine, and it is still served once the head is complete.
void tst_EngineTransport::httpFrontWaitsForAHeadWithoutTimerObjects()
{
    startServer();
    QTcpSocket tcp;
    tcp.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(tcp.waitForConnected(5000));
    tcp.write("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n");   // head incomplete
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::HttpConnection"), 1);
    QObject *front = nullptr;
    const QList<QObject *> all = m_server->findChildren<QObject *>();
    for (QObject *o : all) {
        if (qstrcmp(o->metaObject()->className(), "SocketIo::HttpConnection") == 0)
            front = o;
    }
    QVERIFY(front);
    const auto timers = QAbstractEventDispatcher::instance()->registeredTimers(front);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().interval, 30000);
    QCOMPARE(m_server->findChildren<QTimer *>().size(), 0);
    tcp.write("\r\n");
    QTRY_VERIFY(tcp.bytesAvailable() > 0 && tcp.peek(4096).contains("\"sid\""));
    QVERIFY(tcp.peek(4096).startsWith("HTTP/1.1 200 OK"));
}

namespace {

/*! The only object of class \a className under \a root, or null. */
QObject *findObject(const QObject *root, const char *className)
{
    QObject *found = nullptr;
    const QList<QObject *> all = root->findChildren<QObject *>();
    for (QObject *o : all) {
        if (qstrcmp(o->metaObject()->className(), className) == 0) {
            if (found)
                return nullptr;
            found = o;
        }
    }
    return found;
}

/*! A polling handshake on \a client; the sid, and the open packet's JSON in \a json. */
QString pollingHandshake(RawHttpClient &client, QByteArray *json = nullptr)
{
    const RawHttpResponse r = client.request("GET", "/engine.io/?EIO=4&transport=polling");
    if (r.status != 200 || !r.body.startsWith('0'))
        return {};
    if (json)
        *json = r.body.mid(1);
    return QJsonDocument::fromJson(r.body.mid(1)).object().value(u"sid"_s).toString();
}

/*! \a http connected to \a server and a polling session opened on it; the session (its id in
    \a sid), or null. */
QPointer<EngineSession> openPollingSession(EngineServer *server, RawHttpClient &http, QString *sid)
{
    if (!http.connectToHost(QHostAddress::LocalHost, server->serverPort()))
        return nullptr;
    *sid = pollingHandshake(http);
    return sid->isEmpty() ? nullptr : server->session(*sid);
}

} // namespace

// The open packet is built from a template made once per set of options (only the sid differs
// between sessions): byte for byte what engine.io sends, upgrades offered on polling only, and
// the values of new options as soon as they are set.
void tst_EngineTransport::openPacketFollowsTheOptions()
{
    EngineOptions o;
    o.pingInterval = std::chrono::milliseconds(1111);
    o.pingTimeout = std::chrono::milliseconds(2222);
    o.maxHttpBufferSize = 3333;
    startServer(o);
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    const auto expected = [](const QString &sid, const char *upgrades, int interval, int timeout,
                             int maxPayload) {
        return QByteArray("{\"sid\":\"" + sid.toLatin1() + "\",\"upgrades\":" + upgrades
                          + ",\"pingInterval\":" + QByteArray::number(interval) + ",\"pingTimeout\":"
                          + QByteArray::number(timeout) + ",\"maxPayload\":"
                          + QByteArray::number(maxPayload) + '}');
    };

    WsPeer ws1;
    QVERIFY(ws1.open(m_server->serverPort()));
    QTRY_COMPARE(ws1.texts.size(), 1);
    QTRY_COMPARE(connections.size(), 1);
    const QString sid1 = connections.at(0).first().value<EngineSession *>()->id();
    QCOMPARE(ws1.texts.first().toUtf8(), '0' + expected(sid1, "[]", 1111, 2222, 3333));

    RawHttpClient http1;
    QVERIFY(http1.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    QByteArray json;
    const QString sid2 = pollingHandshake(http1, &json);
    QVERIFY(!sid2.isEmpty() && sid2 != sid1);
    QCOMPARE(json, expected(sid2, "[\"websocket\"]", 1111, 2222, 3333));

    o.pingInterval = std::chrono::milliseconds(4444);
    o.pingTimeout = std::chrono::milliseconds(5555);
    o.maxHttpBufferSize = 6666;
    m_server->setOptions(o);
    WsPeer ws2;
    QVERIFY(ws2.open(m_server->serverPort()));
    QTRY_COMPARE(ws2.texts.size(), 1);
    QTRY_COMPARE(connections.size(), 3);
    const QString sid3 = connections.at(2).first().value<EngineSession *>()->id();
    QCOMPARE(ws2.texts.first().toUtf8(), '0' + expected(sid3, "[]", 4444, 5555, 6666));

    o.allowUpgrades = false;   // polling without upgrades: the other tail of the same template
    m_server->setOptions(o);
    RawHttpClient http2;
    QVERIFY(http2.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid4 = pollingHandshake(http2, &json);
    QVERIFY(!sid4.isEmpty());
    QCOMPARE(json, expected(sid4, "[]", 4444, 5555, 6666));
}

// The upgrade's two deadlines are timers of the session itself (no QTimer objects): the upgrade
// timeout a precise one (a protocol deadline, as the heartbeats'), the noops that release a parked
// GET every 100 ms once the probe answered; both gone once the upgrade is done.
void tst_EngineTransport::upgradeTimersArePreciseTimeoutAndNoopsWithoutTimerObjects()
{
    EngineOptions o;
    o.upgradeTimeout = std::chrono::milliseconds(7000);
    startServer(o);
    const int timersBefore = timersOutsideWebSockets(m_server.get());
    RawHttpClient http;
    QString sid;
    // registeredTimers(session) lists the timers of the session object itself: a QTimer would
    // register its timer on the QTimer.
    const QPointer<EngineSession> session = openPollingSession(m_server.get(), http, &sid);
    QVERIFY(session);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    QVERIFY(dispatcher->registeredTimers(session).isEmpty());

    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort(), u"EIO=4&transport=websocket&sid="_s + sid));
    QTRY_COMPARE(dispatcher->registeredTimers(session).size(), 1);
    const auto timeout = dispatcher->registeredTimers(session).first();
    QCOMPARE(timeout.interval, 7000);
    QCOMPARE(timeout.timerType, Qt::PreciseTimer);

    // A GET parked during the upgrade is released with a noop once the probe answered.
    http.sendRequest("GET", "/engine.io/?EIO=4&transport=polling&sid=" + sid.toLatin1());
    peer.ws->sendTextMessage(u"2probe"_s);
    QTRY_VERIFY(peer.texts.contains(u"3probe"_s));
    QCOMPARE(dispatcher->registeredTimers(session).size(), 2);
    bool noopTimer = false;
    for (const auto &t : dispatcher->registeredTimers(session))
        noopTimer = noopTimer || (t.interval == 100 && t.timerId != timeout.timerId);
    QVERIFY(noopTimer);
    const RawHttpResponse released = http.waitForResponse();
    QCOMPARE(released.status, 200);
    QCOMPARE(released.body, QByteArray("6"));
    QVERIFY(timersOutsideWebSockets(m_server.get()) <= timersBefore);

    peer.ws->sendTextMessage(u"5"_s);
    QTRY_VERIFY(session->isUpgraded());
    QVERIFY(dispatcher->registeredTimers(session).isEmpty());
    session->sendText("upgraded");
    QTRY_VERIFY(peer.texts.contains(u"4upgraded"_s));
}

// A server-initiated close of a polling session without a parked GET waits for the next GET
// (engine.io's closeTimeout, 30 s) on a timer of the transport itself, not a QTimer object; the
// GET gets the close packet and the timer goes with the session.
void tst_EngineTransport::pollingCloseWaitsForAGetOnATimerWithoutTimerObjects()
{
    startServer();
    const int timersBefore = timersOutsideWebSockets(m_server.get());
    RawHttpClient http;
    QString sid;
    QPointer<EngineSession> session = openPollingSession(m_server.get(), http, &sid);
    QVERIFY(session);
    QSignalSpy closed(session.data(), &EngineSession::closed);
    QPointer<QObject> transport = findObject(m_server.get(), "SocketIo::PollingTransport");
    QVERIFY(transport);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    QVERIFY(dispatcher->registeredTimers(transport).isEmpty());

    session->close();
    QCOMPARE(session->state(), EngineSession::State::Closing);
    const auto timers = dispatcher->registeredTimers(transport);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().interval, 30000);
    QVERIFY(timersOutsideWebSockets(m_server.get()) <= timersBefore);
    QCOMPARE(closed.size(), 0);

    const RawHttpResponse r = http.request("GET", "/engine.io/?EIO=4&transport=polling&sid=" + sid.toLatin1());
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("6\x1e" "1"));
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed.first().first().toString(), u"forced close"_s);
    QTRY_VERIFY(session.isNull());
    QVERIFY(transport.isNull());
}

// An application that deletes a session whose WebSocket is open (and whose peer is sending):
// the socket goes with it, the peer sees the connection end, nothing reaches the deleted session
// and the other sessions go on.
void tst_EngineTransport::sessionDeletedWithItsWebSocketOpen()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer doomed;
    WsPeer other;
    QVERIFY(doomed.open(m_server->serverPort()));
    QVERIFY(other.open(m_server->serverPort()));
    QTRY_COMPARE(connections.size(), 2);
    QTRY_COMPARE(doomed.texts.size(), 1);
    QTRY_COMPARE(other.texts.size(), 1);
    EngineSession *first = connections.at(0).first().value<EngineSession *>();
    EngineSession *second = connections.at(1).first().value<EngineSession *>();
    // which session is whose: the first text each peer got carries its sid
    EngineSession *victim = doomed.texts.first().contains(first->id()) ? first : second;
    EngineSession *survivor = victim == first ? second : first;
    const QString victimId = victim->id();
    QVERIFY(doomed.texts.first().contains(victimId));
    QSignalSpy received(survivor, &EngineSession::textMessageReceived);
    for (int i = 0; i < 20; ++i)
        doomed.ws->sendTextMessage(u"4in flight %1"_s.arg(i));
    delete victim;
    QTRY_COMPARE(doomed.ws->state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(m_server->sessions(), QList<EngineSession *>{survivor});
    QVERIFY(!m_server->session(victimId));
    other.ws->sendTextMessage(u"4still here"_s);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().first().toByteArray(), QByteArray("still here"));
    QCOMPARE(survivor->state(), EngineSession::State::Open);
}

// The server closes many WebSocket sessions while their peers keep sending: each peer gets its
// close frame, each session reports "forced close" once, and what the peers sent after the
// close reaches nobody. The sockets stay connected to their closed transports until these are
// deleted, whose slots return at once from the close on (no disconnect() at the close).
void tst_EngineTransport::serverCloseOfManyWebSocketsWhilePeersSend()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    constexpr int N = 10;
    std::vector<std::unique_ptr<WsPeer>> peers;
    for (int i = 0; i < N; ++i) {
        peers.push_back(std::make_unique<WsPeer>());
        QVERIFY(peers.back()->open(m_server->serverPort()));
    }
    QTRY_COMPARE(connections.size(), N);
    int closedCount = 0;
    int receivedAfterClose = 0;
    bool closeCalled = false;
    QObject context;
    for (const QList<QVariant> &c : std::as_const(connections)) {
        auto *s = c.first().value<EngineSession *>();
        QObject::connect(s, &EngineSession::closed, &context, [&closedCount](const QString &reason) {
            ++closedCount;
            QCOMPARE(reason, u"forced close"_s);
        });
        // whatever the session's state: nothing the peers sent is delivered once close() was called
        // (the "4before" messages are still unread then: no event loop pass in between)
        QObject::connect(s, &EngineSession::textMessageReceived, &context, [&receivedAfterClose, &closeCalled] {
            if (closeCalled)
                ++receivedAfterClose;
        });
    }
    for (const auto &p : peers) {
        QTRY_COMPARE(p->texts.size(), 1);
        for (int i = 0; i < 5; ++i)
            p->ws->sendTextMessage(u"4before"_s);
    }
    for (const QList<QVariant> &c : std::as_const(connections))
        c.first().value<EngineSession *>()->close();
    closeCalled = true;
    for (const auto &p : peers)
        p->ws->sendTextMessage(u"4after"_s);
    for (const auto &p : peers)
        QTRY_COMPARE(p->ws->state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(closedCount, N);
    QCOMPARE(receivedAfterClose, 0);
    QTRY_VERIFY(m_server->sessions().isEmpty());
    for (const auto &p : peers)
        QCOMPARE(p->ws->closeCode(), QWebSocketProtocol::CloseCodeNormal);
}

// A peer that stops reading while the server closes its WebSocket: QWebSocket's close cannot end
// the TCP connection while unsent bytes wait (the peer's window is full), so the connection is
// dropped after the closing-handshake timeout (5 s), by the one timer all closing WebSockets of
// the engine share (no timer object per closing socket); its QWebSocket goes with it.
void tst_EngineTransport::unansweredCloseHandshakeIsDroppedOnTheSharedTimer()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    QTcpSocket raw;   // a WebSocket peer that reads nothing but bytes, and stops reading
    raw.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray received;
    QTRY_VERIFY((received += raw.readAll()).contains("\"sid\""));   // 101, then the open packet
    QVERIFY(received.startsWith("HTTP/1.1 101"));
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QObject *shared = findObject(m_server.get(), "SocketIo::WebSocketWriteBatch");
    QVERIFY(shared);
    auto *dispatcher = QAbstractEventDispatcher::instance();
    QVERIFY(dispatcher->registeredTimers(shared).isEmpty());

    raw.setReadBufferSize(4096);   // from now on the peer's kernel buffers fill up and stay full
    session->sendText(QByteArray(48 * 1024 * 1024, 'x'));
    QTRY_VERIFY(!session->isWritable());
    session->close();
    QCOMPARE(session->state(), EngineSession::State::Closed);
    const auto timers = dispatcher->registeredTimers(shared);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().interval, 5000);
    QCOMPARE(countObjects(m_server.get(), "QWebSocket"), 1);   // its close waits for the bytes

    QTRY_COMPARE_WITH_TIMEOUT(countObjects(m_server.get(), "QWebSocket"), 0, 15000);
    QVERIFY(dispatcher->registeredTimers(shared).isEmpty());
    QVERIFY(m_server->sessions().isEmpty());
    // the peer reads again: what its kernel had, then the end of the dropped connection
    raw.setReadBufferSize(0);
    QTRY_COMPARE_WITH_TIMEOUT((raw.readAll(), raw.state()), QAbstractSocket::UnconnectedState, 15000);
}

void tst_EngineTransport::handedSocketWhosePeerClosedIsReadToTheEnd_data()
{
    QTest::addColumn<QByteArray>("request");      // %1: the sid of the session under test
    QTest::addColumn<QString>("closeReason");     // the session's, or empty: it stays open
    QTest::addColumn<QByteArrayList>("messages");  // what the session receives
    QTest::addColumn<bool>("createsSession");

    const QByteArray post = "POST /engine.io/?EIO=4&transport=polling&sid=%1 HTTP/1.1\r\nHost: x\r\n";
    // engine.io: a data request whose connection closes before its body is complete ends the session
    QTest::newRow("POST cut short") << post + "Content-Length: 100\r\n\r\n4hello" << u"transport error"_s
                                    << QByteArrayList() << false;
    // the body arrived whole: it is delivered, and the session goes on
    QTest::newRow("whole POST") << post + "Content-Length: 6\r\n\r\n4hello" << QString() << QByteArrayList{"hello"}
                                << false;
    // requests pipelined before the close are all read: two whole POSTs, then one cut short
    QTest::newRow("whole POSTs, POST cut short")
        << post + "Content-Length: 6\r\n\r\n4hello" + post + "Content-Length: 6\r\n\r\n4again" + post
               + "Content-Length: 100\r\n\r\n4x"
        << u"transport error"_s << QByteArrayList{"hello", "again"} << false;
    // a poll whose connection is gone: "poll connection closed prematurely"
    QTest::newRow("GET") << QByteArray("GET /engine.io/?EIO=4&transport=polling&sid=%1 HTTP/1.1\r\nHost: x\r\n\r\n")
                         << u"transport error"_s << QByteArrayList() << false;
    // a WebSocket upgrade of a peer that is gone is dropped, not handed to QWebSocketServer
    QTest::newRow("upgrade") << QByteArray("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                           "Sec-WebSocket-Version: 13\r\n\r\n")
                             << QString() << QByteArrayList() << false;
    // a polling handshake: the session is made (as engine.io would) and then times out as any other
    QTest::newRow("handshake") << QByteArray("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
                               << QString() << QByteArrayList() << true;
}

// A connection handed to handleConnection() (or by a ServerWorkers worker to another) can have
// read its request and its peer's close before the engine sees it: its disconnected() was emitted
// already, and the request is still read to the end, as on a connection the engine accepted.
// (tst_serverworkers::peerVanishingDuringHandOverDisturbsNothing met it by chance: the session of
// a POST cut short stayed open.)
void tst_EngineTransport::handedSocketWhosePeerClosedIsReadToTheEnd()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, closeReason);
    QFETCH(QByteArrayList, messages);
    QFETCH(bool, createsSession);

    EngineOptions options;
    options.pingInterval = std::chrono::seconds(25);
    options.pingTimeout = std::chrono::seconds(20);
    startServer(options);
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = pollingHandshake(http);
    const QString otherSid = pollingHandshake(http);
    QVERIFY(!sid.isEmpty() && !otherSid.isEmpty());
    QTRY_COMPARE(connections.size(), 2);
    EngineSession *session = m_server->session(sid);
    QVERIFY(session);
    QPointer<EngineSession> other = m_server->session(otherSid);
    QSignalSpy closed(session, &EngineSession::closed);
    QSignalSpy texts(session, &EngineSession::textMessageReceived);

    QTcpServer acceptor;
    QTcpSocket peer;
    QPointer<QTcpSocket> accepted = acceptConnection(acceptor, peer);
    QVERIFY(accepted);
    QVERIFY(peer.waitForConnected(5000));
    const QByteArray bytes = QByteArray(request).replace("%1", sid.toUtf8());
    peer.write(bytes);
    QVERIFY(peer.waitForBytesWritten(5000));
    peer.disconnectFromHost();
    // the accepted socket reads the request and the close by itself, before the engine has it
    QTRY_COMPARE(accepted->state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(accepted->bytesAvailable(), bytes.size());

    m_server->handleConnection(accepted);
    QTRY_VERIFY(accepted.isNull());   // the connection is done with, its socket deleted
    if (!closeReason.isEmpty()) {
        QTRY_COMPARE(closed.size(), 1);
        QCOMPARE(closed.first().first().toString(), closeReason);
    }
    QTRY_COMPARE(texts.size(), messages.size());
    for (qsizetype i = 0; i < messages.size(); ++i)
        QCOMPARE(texts.at(i).first().toByteArray(), messages.at(i));
    QCOMPARE(connections.size(), createsSession ? 3 : 2);
    QCOMPARE(m_server->findChildren<QWebSocket *>().size(), 0);
    // nothing else disturbed
    QVERIFY(other);
    QCOMPARE(http.request("POST", "/engine.io/?EIO=4&transport=polling&sid=" + otherSid.toUtf8(), "4still").body,
             QByteArray("ok"));
    if (closeReason.isEmpty())
        QCOMPARE(closed.size(), 0);
}

void tst_EngineTransport::sessionEndedByItsPostsMessageStillAnswersThePost_data()
{
    QTest::addColumn<bool>("deleteSession");   // else close() it
    QTest::addColumn<bool>("headerHooks");
    QTest::newRow("close") << false << false;
    QTest::newRow("close, header functions") << false << true;
    QTest::newRow("delete") << true << false;
    QTest::newRow("delete, header functions") << true << true;
}

// A handler of the POST's first message ends the session (close(), or delete): the transport
// goes with it while the POST is being read, and the POST is still answered "ok" (ASan: nothing
// of the transport is touched after its handlers ran).
void tst_EngineTransport::sessionEndedByItsPostsMessageStillAnswersThePost()
{
    QFETCH(bool, deleteSession);
    QFETCH(bool, headerHooks);
    EngineOptions options;
    int hookCalls = 0;
    if (headerHooks)
        options.responseHeaders = [&hookCalls](EngineHeaders &, const EngineRequest &) { ++hookCalls; };
    startServer(options);
    RawHttpClient http;
    QString sid;
    QPointer<EngineSession> session = openPollingSession(m_server.get(), http, &sid);
    QVERIFY(session);
    connect(session.data(), &EngineSession::textMessageReceived, this, [session, deleteSession] {
        if (!session)
            return;
        if (deleteSession)
            delete session.data();
        else
            session->close();
    });
    const RawHttpResponse r = http.request("POST", "/engine.io/?EIO=4&transport=polling&sid=" + sid.toUtf8(),
                                           "4first\x1e" "4second");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("ok"));
    if (deleteSession) {
        QVERIFY(session.isNull());
        QCOMPARE(m_server->clientsCount(), 0);
    } else {
        // a graceful close waits for the next GET to deliver the close packet, as engine.io
        QVERIFY(session);
        QCOMPARE(http.request("GET", "/engine.io/?EIO=4&transport=polling&sid=" + sid.toUtf8()).body, QByteArray("6\x1e" "1"));   // noop, close
        QTRY_COMPARE(m_server->clientsCount(), 0);
    }
    if (headerHooks)
        QCOMPARE(hookCalls, deleteSession ? 2 : 3);   // the handshake's response, the POST's (and the GET's)
}

#include "tst_engine_transport.moc"

// A peer that goes away leaves nothing behind: its QWebSocket goes with the session, and its
// socket (which QtWebSockets deletes later itself once disconnected) by its own event, not
// with the QWebSocket (docs/benchmarks.md, "Engine, third round"). sessions() keeps the order
// in which the sessions opened across closes (slots freed in place, squeezed out later).
void tst_EngineTransport::closedWebSocketsLeaveNoSocketsAndKeepSessionOrder()
{
    startServer();
    QObject context;
    QList<QPointer<EngineSession>> opened;
    connect(m_server.get(), &EngineServer::connection, &context,
            [&opened](EngineSession *s) { opened.append(s); });
    auto sessionOf = [&opened](const WsPeer &peer) -> EngineSession * {
        for (const QPointer<EngineSession> &s : opened) {
            if (s && s->request().remotePort == peer.ws->localPort())
                return s;
        }
        return nullptr;
    };
    auto openPeers = [&](std::vector<std::unique_ptr<WsPeer>> &into, int n) {
        for (int i = 0; i < n; ++i) {
            into.push_back(std::make_unique<WsPeer>());
            if (!into.back()->open(m_server->serverPort()))
                return false;
        }
        return true;
    };
    constexpr int N = 40;
    std::vector<std::unique_ptr<WsPeer>> peers;
    QVERIFY(openPeers(peers, N));
    QTRY_COMPARE(opened.size(), N);
    QList<EngineSession *> expected;
    for (const auto &p : peers) {
        EngineSession *s = sessionOf(*p);
        QVERIFY(s);
        expected.append(s);
    }
    QCOMPARE(m_server->sessions(), expected);
    QCOMPARE(countObjects(m_server.get(), "QTcpSocket"), N);

    // 30 of the 40 go, scattered: every other one by a close frame, the rest by a dropped
    // connection (no close frame). More than half of the order's slots fall free.
    QList<EngineSession *> kept;
    for (int i = 0; i < N; ++i) {
        if (i % 4 == 0) {
            kept.append(expected.at(i));
        } else if (i % 2) {
            peers[i]->ws->close();
        } else {
            peers[i]->ws->abort();
        }
    }
    QTRY_COMPARE(m_server->clientsCount(), int(kept.size()));
    QCOMPARE(m_server->sessions(), kept);
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::EngineSession"), int(kept.size()));
    QTRY_COMPARE(countObjects(m_server.get(), "QWebSocket"), int(kept.size()));
    QTRY_COMPARE(countObjects(m_server.get(), "QTcpSocket"), int(kept.size()));

    // New sessions come after the older ones; the kept peers are still served.
    std::vector<std::unique_ptr<WsPeer>> later;
    QVERIFY(openPeers(later, 5));
    QTRY_COMPARE(m_server->clientsCount(), int(kept.size()) + 5);
    QList<EngineSession *> all = kept;
    for (const auto &p : later)
        all.append(sessionOf(*p));
    QVERIFY(!all.contains(nullptr));
    QCOMPARE(m_server->sessions(), all);
    for (int i = 0; i < N; i += 4) {
        expected.at(i)->sendText("still here");
        QTRY_VERIFY(peers[i]->texts.contains(u"4still here"_s));
    }

    // close() reaches exactly the live sessions; afterwards nothing is left.
    m_server->close();
    for (int i = 0; i < N; i += 4)
        QTRY_COMPARE(peers[i]->ws->state(), QAbstractSocket::UnconnectedState);
    for (const auto &p : later)
        QTRY_COMPARE(p->ws->state(), QAbstractSocket::UnconnectedState);
    QTRY_VERIFY(m_server->sessions().isEmpty());
    QTRY_COMPARE(countObjects(m_server.get(), "SocketIo::EngineSession"), 0);
    QTRY_COMPARE(countObjects(m_server.get(), "QWebSocket"), 0);
    QTRY_COMPARE(countObjects(m_server.get(), "QTcpSocket"), 0);
}

// An Expect header means nothing on a WebSocket upgrade (as Node's http server: only requests
// that are not upgrades get 100 Continue or 417); the upgrade is served.
void tst_EngineTransport::webSocketUpgradeIgnoresExpect()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              "Expect: something-else\r\n\r\n");
    QByteArray response;
    QTRY_VERIFY((response += raw.readAll()).contains("\r\n\r\n"));
    QVERIFY2(response.startsWith("HTTP/1.1 101"), response.constData());
    QTRY_COMPARE(connections.size(), 1);

    // the same header on a plain request is still refused
    QTcpSocket plain;
    plain.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(plain.waitForConnected(5000));
    plain.write("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
                "Expect: something-else\r\n\r\n");
    QByteArray refused;
    QTRY_VERIFY((refused += plain.readAll()).contains("\r\n\r\n"));
    QVERIFY2(refused.startsWith("HTTP/1.1 417"), refused.constData());
}

// Text frames become packets from QWebSocket's UTF-8 without a second check or copy (the
// type digit is cut off in place); what is not a plain text packet still goes through the
// decoder: base64 binary from a b64 client, and the refusals (tst_engineserver's
// webSocketCloseAndParseErrors).
void tst_EngineTransport::webSocketTextPacketsKeepTheirBytes()
{
    startServer();
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    WsPeer peer;
    QVERIFY(peer.open(m_server->serverPort(), u"EIO=4&transport=websocket&b64=1"_s));
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy texts(session, &EngineSession::textMessageReceived);
    QSignalSpy binaries(session, &EngineSession::binaryMessageReceived);
    QSignalSpy closed(session, &EngineSession::closed);
    const QString multi = u"h\u00e9llo \u20ac \U0001F600 \"q\" \u001e end"_s;
    peer.ws->sendTextMessage(u"4"_s + multi);
    peer.ws->sendTextMessage(u"4"_s);            // an empty message
    peer.ws->sendTextMessage(u"6"_s);            // noop: ignored
    peer.ws->sendTextMessage(u"bAQID"_s);        // base64 binary
    peer.ws->sendTextMessage(u"44"_s);
    QTRY_COMPARE(texts.size(), 3);
    QCOMPARE(texts.at(0).at(0).toByteArray(), multi.toUtf8());
    QCOMPARE(texts.at(1).at(0).toByteArray(), QByteArray(""));
    QCOMPARE(texts.at(2).at(0).toByteArray(), QByteArray("4"));
    QCOMPARE(binaries.size(), 1);
    QCOMPARE(binaries.at(0).at(0).toByteArray(), QByteArray("\x01\x02\x03", 3));
    QCOMPARE(closed.size(), 0);
    QCOMPARE(session->state(), EngineSession::State::Open);
}

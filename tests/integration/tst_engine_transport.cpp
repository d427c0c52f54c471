// Per-connection cost of the engine (docs/benchmarks.md, "Per-connection cost"): what an idle
// connection keeps, the socket options of accepted connections, the WebSocket write path that
// frames our packets on the socket itself, and the engine-wide heartbeat deadlines. No timing
// assertions: everything is read back or waited for with QTRY.
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>

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

private:
    EngineServer *startServer(const EngineOptions &options = {});
    std::unique_ptr<EngineServer> m_server;
};

void tst_EngineTransport::initTestCase()
{
    qRegisterMetaType<SocketIo::EngineSession *>();
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
    QVERIFY(acceptor.listen(QHostAddress::LocalHost, 0));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, acceptor.serverPort());
    QTRY_VERIFY(acceptor.hasPendingConnections());
    QPointer<QTcpSocket> accepted = acceptor.nextPendingConnection();
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
    const QList<qsizetype> sizes{0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 70000, 300000};
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
#include "tst_engine_transport.moc"

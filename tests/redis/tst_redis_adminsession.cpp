// RedisAdminSessionStore (the `store` option of @socket.io/admin-ui's instrument(), its RedisStore)
// against real peers: one redis-server, two of our servers (A, B) whose Instrumentations require
// a password and keep their sessions in Redis, and a Node.js socket.io 4.8.4 server instrumented
// by the pinned @socket.io/admin-ui with the same password and `store: new RedisStore(client)`
// (tests/interop/js/redis-node-server.js --admin-password). A session id handed out after a
// password login on any of the three opens "/admin" on the others without the password; the keys
// we write look like RedisStore's; when Redis cannot answer, the session id alone is refused and
// the password still works.
#include "nodeprocess.h"
#include "redistesthelpers.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/instrumentation.h>
#include <SocketIo/redisadminsessionstore.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/server.h>

#include <QHostAddress>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::NodeProcess;
using SocketIo::Test::RawRedisClient;
using SocketIo::Test::RedisLogCapture;
using SocketIo::Test::RedisServer;

namespace {

const QString Password = u"changeit"_s;
constexpr std::chrono::seconds SessionDuration{600};

struct AdminNode
{
    std::unique_ptr<SocketIo::RedisConnection> redis;
    std::shared_ptr<SocketIo::RedisAdminSessionStore> store;
    std::unique_ptr<SocketIo::Server> io;
    std::unique_ptr<SocketIo::Instrumentation> admin;
};

/*! One connection attempt to "/admin": how it ended, and the session id it was given. */
struct AdminLogin
{
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    bool connected = false;
    QString error;
    QString sessionId;

    bool finished() const { return connected || !error.isEmpty(); }
};

} // namespace

class tst_RedisAdminSession : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void qtSessionOpensTheOtherQtNodeAndNode();
    void keyHasTheShapeOfRedisStore();
    void nodeSessionOpensOurNodes();
    void unknownSessionIdNeedsThePassword();
    void redisUnreachableFallsBackToThePassword();
    void lookupInFlightWhenTheConnectionGoesAnswersFalse();
    void lookupInFlightWhenTheStoreGoesAnswersFalseLater();

private:
    bool startNode(AdminNode &node, const QString &serverId, const QUrl &redisUrl, bool waitForRedis = true);
    /*! Connects to "/admin" of \a port with \a auth and waits until it is accepted or refused
        (and, when \a expectSession, for the "session" event). */
    std::unique_ptr<AdminLogin> login(quint16 port, const QCborMap &auth, bool expectSession = false);
    /*! One command on a fresh raw connection to our redis-server; the raw RESP reply. */
    QByteArray redisReply(const QList<QByteArray> &command);

    RedisServer m_redis;
    NodeProcess m_node;
    quint16 m_nodePort = 0;
    QByteArray m_hash;
    AdminNode m_a;
    AdminNode m_b;
    QString m_qtSession;    // handed out by A
};

bool tst_RedisAdminSession::startNode(AdminNode &node, const QString &serverId, const QUrl &redisUrl, bool waitForRedis)
{
    SocketIo::RedisAdapterOptions redisOptions;
    if (!redisOptions.setUrl(redisUrl))
        return false;
    redisOptions.reconnectDelay = 50ms;
    redisOptions.reconnectDelayMax = 200ms;
    node.redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    node.store = std::make_shared<SocketIo::RedisAdminSessionStore>(node.redis.get());
    SocketIo::ServerOptions options;
    options.adapter = node.redis->adapterFactory();
    node.io = std::make_unique<SocketIo::Server>(options);
    SocketIo::AdminOptions adminOptions;
    adminOptions.serverId = serverId;
    adminOptions.auth = SocketIo::AdminAuth::basic(u"admin"_s, m_hash);
    adminOptions.sessionDuration = SessionDuration;
    adminOptions.sessionStore = node.store;
    node.admin = std::make_unique<SocketIo::Instrumentation>(node.io.get(), adminOptions);
    if (!node.admin->isValid() || !node.io->listen(QHostAddress::LocalHost, 0))
        return false;
    if (!waitForRedis)
        return true;
    QSignalSpy connected(node.redis.get(), &SocketIo::RedisConnection::connected);
    return node.redis->isConnected() || connected.wait(10000);
}

std::unique_ptr<AdminLogin> tst_RedisAdminSession::login(quint16 port, const QCborMap &auth, bool expectSession)
{
    auto result = std::make_unique<AdminLogin>();
    SocketIo::ClientOptions options;
    options.reconnection = false;
    options.polling = false;
    result->client = std::make_unique<SocketIo::Client>(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = auth;
    result->socket = result->client->socket(u"/admin"_s, socketOptions);
    AdminLogin *r = result.get();
    connect(result->socket, &SocketIo::ClientSocket::connected, this, [r] { r->connected = true; });
    connect(result->socket, &SocketIo::ClientSocket::connectError, this,
            [r](const QString &message, const QCborValue &) { r->error = message.isEmpty() ? u"?"_s : message; });
    connect(result->socket, &SocketIo::ClientSocket::eventReceived, this, [r](const SocketIo::Message &m) {
        if (m.event() == u"session"_s)
            r->sessionId = m.args().at(0).toString();
    });
    // the result is checked by the caller (connected, error, sessionId)
    (void)QTest::qWaitFor([r] { return r->finished(); }, 10000);
    if (expectSession && r->connected)
        (void)QTest::qWaitFor([r] { return !r->sessionId.isEmpty(); }, 5000);
    return result;
}

QByteArray tst_RedisAdminSession::redisReply(const QList<QByteArray> &command)
{
    RawRedisClient raw;
    if (!raw.open(m_redis.port()))
        return QByteArray();
    raw.command(command);
    (void)QTest::qWaitFor([&raw] { return raw.received().endsWith("\r\n"); }, 5000);
    // a bulk string: wait for its body too
    if (raw.received().startsWith('$') && !raw.received().startsWith("$-1"))
        (void)QTest::qWaitFor([&raw] { return raw.received().count("\r\n") >= 2; }, 5000);
    return raw.received();
}

void tst_RedisAdminSession::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    QVERIFY2(m_redis.start(), qPrintable(m_redis.output()));
    m_hash = SocketIo::Instrumentation::hashPassword(Password, 4);
    QVERIFY(m_node.start(u"redis-node-server.js"_s,
                         {u"--redis"_s, m_redis.url(), u"--name"_s, u"node-n"_s, u"--admin"_s, u"node-n"_s,
                          u"--admin-password"_s, Password, u"--admin-session-duration"_s,
                          QString::number(SessionDuration.count())}));
    const QJsonObject listening = m_node.waitForEvent(u"listening"_s, 20000);
    QVERIFY2(!listening.isEmpty(), qPrintable(m_node.diagnostics()));
    m_nodePort = quint16(listening.value(u"port"_s).toInt());
    QVERIFY(startNode(m_a, u"qt-a"_s, QUrl(m_redis.url())));
    QVERIFY(startNode(m_b, u"qt-b"_s, QUrl(m_redis.url())));
}

void tst_RedisAdminSession::cleanupTestCase()
{
    for (AdminNode *node : {&m_a, &m_b}) {
        node->admin.reset();
        node->io.reset();
        node->redis.reset();
    }
    m_node.kill();
    m_redis.stop();
}

void tst_RedisAdminSession::qtSessionOpensTheOtherQtNodeAndNode()
{
    const auto first = login(m_a.io->serverPort(), {{u"username"_s, u"admin"_s}, {u"password"_s, Password}}, true);
    QVERIFY2(first->connected, qPrintable(first->error));
    QCOMPARE(first->sessionId.size(), 16);
    m_qtSession = first->sessionId;

    // the session id alone, on B and on the Node server
    const auto onB = login(m_b.io->serverPort(), {{u"sessionId"_s, m_qtSession}});
    QVERIFY2(onB->connected, qPrintable(onB->error));
    QVERIFY(onB->sessionId.isEmpty());   // no new session: the id was accepted as it is
    const auto onNode = login(m_nodePort, {{u"sessionId"_s, m_qtSession}});
    QVERIFY2(onNode->connected, qPrintable(onNode->error));
    QVERIFY(onNode->sessionId.isEmpty());
}

void tst_RedisAdminSession::keyHasTheShapeOfRedisStore()
{
    QVERIFY(!m_qtSession.isEmpty());
    const QByteArray key = "socket.io-admin#" + m_qtSession.toUtf8();
    QCOMPARE(m_a.store->key(m_qtSession), QString::fromUtf8(key));
    QCOMPARE(redisReply({"GET", key}), QByteArray("$4\r\ntrue\r\n"));
    const QByteArray ttl = redisReply({"TTL", key});
    QVERIFY2(ttl.startsWith(':') && ttl.endsWith("\r\n"), ttl.constData());
    const int seconds = ttl.mid(1, ttl.size() - 3).toInt();
    QVERIFY2(seconds > SessionDuration.count() - 30 && seconds <= SessionDuration.count(), ttl.constData());
    QCOMPARE(redisReply({"TYPE", key}), QByteArray("+string\r\n"));
}

void tst_RedisAdminSession::nodeSessionOpensOurNodes()
{
    const auto first = login(m_nodePort, {{u"username"_s, u"admin"_s}, {u"password"_s, Password}}, true);
    QVERIFY2(first->connected, qPrintable(first->error));
    const QString nodeSession = first->sessionId;
    QVERIFY(!nodeSession.isEmpty());
    // RedisStore wrote it (with node-redis 3's stringified "true"), same shape as ours
    const QByteArray key = "socket.io-admin#" + nodeSession.toUtf8();
    QTRY_COMPARE(redisReply({"GET", key}), QByteArray("$4\r\ntrue\r\n"));
    for (AdminNode *node : {&m_a, &m_b}) {
        const auto onQt = login(node->io->serverPort(), {{u"sessionId"_s, nodeSession}});
        QVERIFY2(onQt->connected, qPrintable(onQt->error));
        QVERIFY(onQt->sessionId.isEmpty());
    }
}

void tst_RedisAdminSession::unknownSessionIdNeedsThePassword()
{
    // an id nobody handed out (or one that expired: DEL plays the expiry) opens nothing
    const QString unknown = u"0123456789abcdef"_s;
    for (quint16 port : {m_a.io->serverPort(), m_b.io->serverPort(), m_nodePort}) {
        const auto attempt = login(port, {{u"sessionId"_s, unknown}});
        QVERIFY(!attempt->connected);
        QCOMPARE(attempt->error, u"invalid credentials"_s);
    }
    const auto session = login(m_b.io->serverPort(), {{u"username"_s, u"admin"_s}, {u"password"_s, Password}}, true);
    QVERIFY(session->connected);
    QVERIFY(!session->sessionId.isEmpty());
    QCOMPARE(redisReply({"DEL", m_b.store->key(session->sessionId).toUtf8()}), QByteArray(":1\r\n"));
    const auto expired = login(m_a.io->serverPort(), {{u"sessionId"_s, session->sessionId}});
    QCOMPARE(expired->error, u"invalid credentials"_s);
}

void tst_RedisAdminSession::redisUnreachableFallsBackToThePassword()
{
    QVERIFY(!m_qtSession.isEmpty());
    // a node whose Redis is not there (a port nobody listens on: a stopped redis-server's)
    RedisServer gone;
    QVERIFY(gone.start());
    const QUrl goneUrl(gone.url());
    gone.stop();
    RedisLogCapture log;
    AdminNode c;
    QVERIFY(startNode(c, u"qt-c"_s, goneUrl, false));
    QVERIFY(!c.redis->isConnected());
    const auto idOnly = login(c.io->serverPort(), {{u"sessionId"_s, m_qtSession}});
    QVERIFY(!idOnly->connected);
    QCOMPARE(idOnly->error, u"invalid credentials"_s);
    QVERIFY2(log.count(u"admin session store: not connected to Redis"_s) >= 1, qPrintable(log.messages().join(u'\n')));
    // the Admin UI's credentials still work; the new session cannot be saved (logged)
    const auto withPassword = login(c.io->serverPort(),
                                    {{u"sessionId"_s, m_qtSession}, {u"username"_s, u"admin"_s}, {u"password"_s, Password}},
                                    true);
    QVERIFY2(withPassword->connected, qPrintable(withPassword->error));
    QVERIFY(!withPassword->sessionId.isEmpty());
    QVERIFY(log.count(u"session socket.io-admin#%1 not saved"_s.arg(withPassword->sessionId)) == 1);

    // the store outlives its connection: answers false, at once
    c.admin.reset();
    c.io.reset();
    c.redis.reset();
    bool answered = false;
    bool exists = true;
    c.store->contains(m_qtSession, [&](bool e) { answered = true; exists = e; });
    QVERIFY(answered);
    QVERIFY(!exists);
}

void tst_RedisAdminSession::lookupInFlightWhenTheConnectionGoesAnswersFalse()
{
    QVERIFY(!m_qtSession.isEmpty());
    SocketIo::RedisAdapterOptions redisOptions;
    QVERIFY(redisOptions.setUrl(QUrl(m_redis.url())));
    auto redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    QSignalSpy connected(redis.get(), &SocketIo::RedisConnection::connected);
    QVERIFY(connected.wait(10000));
    SocketIo::RedisAdminSessionStore store(redis.get());
    // answered by Redis: the session exists
    int answers = 0;
    bool exists = false;
    store.contains(m_qtSession, [&](bool e) { ++answers; exists = e; });
    QTRY_COMPARE(answers, 1);
    QVERIFY(exists);
    // sent, then the connection is destroyed before the reply: answered (false) all the same, once
    RedisLogCapture log;
    store.contains(m_qtSession, [&](bool e) { ++answers; exists = e; });
    QCOMPARE(answers, 1);
    redis.reset();
    QCOMPARE(answers, 2);
    QVERIFY(!exists);
    QCOMPARE(log.count(u"the RedisConnection is gone; 1 session lookups answer false"_s), 1);
    QCoreApplication::processEvents();   // nothing more arrives
    QCOMPARE(answers, 2);
}

void tst_RedisAdminSession::lookupInFlightWhenTheStoreGoesAnswersFalseLater()
{
    // the store destroyed (its last Instrumentation gone) with a lookup waiting for Redis: the
    // caller still gets its one answer, false, from the event loop (not from inside the
    // destructor, which may run while the caller itself is being destroyed)
    QVERIFY(!m_qtSession.isEmpty());
    SocketIo::RedisAdapterOptions redisOptions;
    QVERIFY(redisOptions.setUrl(QUrl(m_redis.url())));
    SocketIo::RedisConnection redis(redisOptions);
    QSignalSpy connected(&redis, &SocketIo::RedisConnection::connected);
    QVERIFY(connected.wait(10000));
    auto store = std::make_unique<SocketIo::RedisAdminSessionStore>(&redis);
    int answers = 0;
    bool exists = true;
    store->contains(m_qtSession, [&](bool e) { ++answers; exists = e; });
    store.reset();
    QCOMPARE(answers, 0);
    QTRY_COMPARE(answers, 1);
    QVERIFY(!exists);
    // Redis' reply, when it comes, finds nobody: a later lookup on the same connection is
    // answered after it (Redis answers in order)
    SocketIo::RedisAdminSessionStore other(&redis);
    bool later = false;
    other.contains(m_qtSession, [&](bool e) { later = e; });
    QTRY_VERIFY(later);
    QCOMPARE(answers, 1);
}

QTEST_GUILESS_MAIN(tst_RedisAdminSession)
#include "tst_redis_adminsession.moc"

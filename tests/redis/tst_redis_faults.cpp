// Faults around the Redis adapter, with a real redis-server: Redis unreachable at start, Redis
// killed and restarted during traffic (signals, log lines, local traffic kept, pending requests
// ending with their timeout errors, recovery), and garbage on every channel (logged, ignored,
// nothing else disturbed); requests that cannot count the nodes (PUBSUB NUMSUB unanswered) fail
// instead of answering for one node; fetchSockets waits requestsTimeout whatever its timeout flag,
// as the official adapter (checked against a Node.js node on the same cluster).
#include "nodeprocess.h"
#include "redistesthelpers.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/msgpackcodec.h>
#include <SocketIo/namespace.h>
#include <SocketIo/redisadapter.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborArray>
#include <QCborMap>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::RawRedisClient;
using SocketIo::Test::RedisServer;
using SocketIo::Test::serverCountOf;

namespace {

struct Node
{
    std::unique_ptr<SocketIo::RedisConnection> redis;
    std::unique_ptr<SocketIo::Server> io;
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    QStringList events;

    SocketIo::RedisAdapter *adapter() const
    {
        return qobject_cast<SocketIo::RedisAdapter *>(io->of(u"/"_s)->adapter());
    }
};

quint16 freePort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

} // namespace

class tst_RedisFaults : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void redisUnreachableAtStartThenAppears();
    void redisRestartDuringTraffic();
    void garbageOnTheChannelsIsLoggedAndIgnored();
    void wrongPasswordIsReportedAndRightOneConnects();
    void serverSideEmitWithAckWithoutClusterAdapterFails();
    void unansweredNumSubFailsTheRequests();
    void numSubErrorReplyFailsTheRequests();
    void fetchSocketsWaitsRequestsTimeoutAsTheOfficialAdapter();

private:
    bool startNode(Node &node, quint16 redisPort, bool waitForRedis);
    static int countReplies(const QByteArray &data) { return int(data.count(":")); }
};

void tst_RedisFaults::initTestCase()
{
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    qRegisterMetaType<SocketIo::DisconnectReason>();
}

bool tst_RedisFaults::startNode(Node &node, quint16 redisPort, bool waitForRedis)
{
    SocketIo::RedisAdapterOptions redisOptions;
    redisOptions.port = redisPort;
    redisOptions.requestsTimeout = 1000ms;
    redisOptions.reconnectDelay = 50ms;
    redisOptions.reconnectDelayMax = 200ms;
    node.redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    QSignalSpy connected(node.redis.get(), &SocketIo::RedisConnection::connected);
    SocketIo::ServerOptions options;
    options.adapter = node.redis->adapterFactory();
    node.io = std::make_unique<SocketIo::Server>(options);
    if (!node.io->listen(QHostAddress::LocalHost, 0))
        return false;
    if (waitForRedis && !node.redis->isConnected() && !connected.wait(10000))
        return false;
    SocketIo::ClientOptions clientOptions;
    clientOptions.reconnection = false;
    node.client = std::make_unique<SocketIo::Client>(QUrl(u"http://127.0.0.1:%1"_s.arg(node.io->serverPort())),
                                                     clientOptions);
    node.socket = node.client->socket();
    Node *self = &node;
    connect(node.socket, &SocketIo::ClientSocket::eventReceived, this,
            [self](const SocketIo::Message &m) { self->events.append(m.event()); });
    QSignalSpy socketConnected(node.socket, &SocketIo::ClientSocket::connected);
    return socketConnected.wait(10000);
}

void tst_RedisFaults::redisUnreachableAtStartThenAppears()
{
    const quint16 port = freePort();
    QVERIFY(port);
    SocketIo::Test::RedisLogCapture log;
    Node a;
    QVERIFY(startNode(a, port, false));
    QSignalSpy errors(a.redis.get(), &SocketIo::RedisConnection::errorOccurred);
    QSignalSpy connected(a.redis.get(), &SocketIo::RedisConnection::connected);
    QTRY_VERIFY(errors.size() >= 2);   // it keeps retrying
    QCOMPARE(a.redis->state(), SocketIo::RedisConnection::State::Connecting);
    QVERIFY(!a.redis->errorString().isEmpty());
    // one warning for the outage, not one per attempt
    QCOMPARE(log.count(u"cannot connect to Redis 127\\.0\\.0\\.1:%1"_s.arg(port)), 1);

    // local traffic flows without Redis; the cluster is this node alone
    QVERIFY(a.io->emitEvent(u"local"_s));
    QTRY_VERIFY(a.events.contains(u"local"_s));
    QTRY_COMPARE(serverCountOf(a.adapter()), 1);

    // Redis appears: the node connects by itself and joins the cluster
    RedisServer redis;
    QVERIFY2(redis.start(port), qPrintable(redis.output()));
    QTRY_VERIFY_WITH_TIMEOUT(connected.size() >= 1, 5000);
    QCOMPARE(a.redis->state(), SocketIo::RedisConnection::State::Connected);
    Node b;
    QVERIFY(startNode(b, port, true));
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 2, 5000);
    QVERIFY(b.io->emitEvent(u"from-b"_s));
    QTRY_VERIFY(a.events.contains(u"from-b"_s));
}

void tst_RedisFaults::redisRestartDuringTraffic()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    Node a;
    Node b;
    QVERIFY(startNode(a, redis.port(), true));
    QVERIFY(startNode(b, redis.port(), true));
    QVERIFY(a.io->emitEvent(u"before"_s));
    QTRY_VERIFY(b.events.contains(u"before"_s));

    // a request in flight: a silent subscriber counts as a node that never answers
    RawRedisClient silent;
    QVERIFY(silent.open(redis.port()));
    silent.command({"SUBSCRIBE", "socket.io-request#/#"});
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 3, 5000);
    SocketIo::Test::RedisLogCapture log;
    QString roomsError;
    a.adapter()->allRooms([&roomsError](const QSet<QString> &, const QString &e) { roomsError = e; });
    QTRY_VERIFY(silent.received().contains(R"("type":1)"));   // the request is out, B answered it

    // Redis dies
    QSignalSpy aDown(a.redis.get(), &SocketIo::RedisConnection::disconnected);
    QSignalSpy bDown(b.redis.get(), &SocketIo::RedisConnection::disconnected);
    QSignalSpy aUp(a.redis.get(), &SocketIo::RedisConnection::connected);
    QSignalSpy bUp(b.redis.get(), &SocketIo::RedisConnection::connected);
    redis.stop();
    QTRY_COMPARE(aDown.size(), 1);
    QTRY_COMPARE(bDown.size(), 1);
    QCOMPARE(log.count(u"connection lost.*local traffic continues, reconnecting"_s), 2);   // one per node
    QCOMPARE(a.redis->state(), SocketIo::RedisConnection::State::Disconnected);

    // the pending request ends with its timeout error, it does not hang
    QTRY_COMPARE_WITH_TIMEOUT(roomsError, u"timeout reached while waiting for allRooms response"_s, 3000);
    QCOMPARE(log.count(u"timeout reached while waiting for allRooms response"_s), 1);

    // local traffic keeps flowing during the outage
    QVERIFY(a.io->emitEvent(u"during"_s));
    QTRY_VERIFY(a.events.contains(u"during"_s));
    QVERIFY(b.io->emitEvent(u"during-b"_s));
    QTRY_VERIFY(b.events.contains(u"during-b"_s));
    QString emitError = u"unset"_s;
    a.io->of(u"/"_s)->serverSideEmitWithAck(u"ping"_s, {}, this,
                                             [&emitError](const QString &e, const QCborArray &) { emitError = e; });
    QTRY_VERIFY(emitError != u"unset"_s);

    // Redis comes back on the same port: both nodes recover and subscribe again
    QVERIFY2(redis.start(redis.port()), qPrintable(redis.output()));
    QTRY_VERIFY_WITH_TIMEOUT(aUp.size() >= 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(bUp.size() >= 1, 5000);
    QCOMPARE(log.count(u"connection to Redis .* restored"_s), 2);
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 2, 5000);
    QVERIFY(!b.events.contains(u"during"_s));
    QVERIFY(a.io->emitEvent(u"after"_s));
    QTRY_VERIFY(b.events.contains(u"after"_s));
    QTRY_VERIFY(a.events.contains(u"after"_s));
    QVERIFY(b.io->emitEvent(u"after-b"_s));
    QTRY_VERIFY(a.events.contains(u"after-b"_s));
}

void tst_RedisFaults::garbageOnTheChannelsIsLoggedAndIgnored()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    Node a;
    Node b;
    QVERIFY(startNode(a, redis.port(), true));
    QVERIFY(startNode(b, redis.port(), true));
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 2, 5000);

    struct Garbage
    {
        QByteArray channel;
        QByteArray payload;
        const char *log;
    };
    QByteArray random(4 * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator generator(42);
    generator.fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
    random[0] = char(0xc1);   // never a valid first byte
    const QByteArray broadcast = "socket.io#/#";
    const QByteArray request = "socket.io-request#/#";
    const QByteArray response = "socket.io-response#/#";
    const QList<Garbage> garbage = {
        {broadcast, "hello", "malformed broadcast"},
        {broadcast, QByteArray::fromHex("dd ffffffff c0"), "malformed broadcast"},
        {broadcast, random, "malformed broadcast"},
        {broadcast, SocketIo::MsgPack::encode(QCborArray{1}), "malformed broadcast"},
        {broadcast, SocketIo::MsgPack::encode(QCborArray{u"x"_s, QCborMap{{u"type"_s, 2}, {u"data"_s, u"no"_s}}, QCborMap()}),
         "ignoring a broadcast on"},
        {broadcast, SocketIo::MsgPack::encode(QCborArray{u"x"_s, 5, QCborMap()}), "ignoring a broadcast on"},
        {broadcast, SocketIo::MsgPack::encode(QCborArray{u"x"_s, QCborMap{{u"type"_s, 0}}, QCborMap()}),
         "ignoring a broadcast on"},
        {request, "{not json", "malformed request"},
        {request, SocketIo::MsgPack::encode(5), "malformed request"},
        {request, random, "malformed request"},
        {request, R"({"type":6,"uid":"zz","data":"nope"})", "serverSideEmit request without event name"},
        {request, SocketIo::MsgPack::encode(QCborMap{{u"type"_s, 7}, {u"requestId"_s, u"r"_s}, {u"packet"_s, 1}}),
         "broadcast-with-ack request"},
        {response, "garbage{", "malformed response"},
        {response, random, "malformed response"},
    };
    RawRedisClient raw;
    QVERIFY(raw.open(redis.port()));
    SocketIo::Test::RedisLogCapture log;
    for (const Garbage &g : garbage)
        raw.command({"PUBLISH", g.channel, g.payload});
    // requests that are well-formed but meaningless are ignored quietly
    raw.command({"PUBLISH", request, R"({"type":99})"});
    raw.command({"PUBLISH", request, R"({"type":2,"opts":{"rooms":["nobody"]},"rooms":["x"]})"});
    raw.command({"PUBLISH", response, R"({"requestId":"unknown","rooms":[]})"});
    QTRY_COMPARE_WITH_TIMEOUT(countReplies(raw.received()), int(garbage.size()) + 3, 10000);

    // nothing else is disturbed: broadcasts in both directions still work
    QVERIFY(a.io->emitEvent(u"after-garbage"_s));
    QTRY_VERIFY(b.events.contains(u"after-garbage"_s));
    QVERIFY(b.io->emitEvent(u"after-garbage-b"_s));
    QTRY_VERIFY(a.events.contains(u"after-garbage-b"_s));
    // each piece of garbage was logged by both nodes
    for (const Garbage &g : garbage) {
        int expected = 0;
        for (const Garbage &other : garbage)
            expected += qstrcmp(other.log, g.log) == 0 ? 2 : 0;
        QVERIFY2(log.count(QString::fromLatin1(g.log)) == expected,
                 qPrintable(u"%1: %2"_s.arg(QString::fromLatin1(g.log), log.messages().join(u'\n'))));
    }
    QVERIFY(a.socket->isConnected());
    QVERIFY(b.socket->isConnected());
    QCOMPARE(a.io->of(u"/"_s)->socketCount(), 1);
}

void tst_RedisFaults::wrongPasswordIsReportedAndRightOneConnects()
{
    RedisServer redis;
    QVERIFY2(redis.start(0, {u"--requirepass"_s, u"s3cret"_s}), qPrintable(redis.output()));
    SocketIo::Test::RedisLogCapture log;
    SocketIo::RedisAdapterOptions options;
    QVERIFY(options.setUrl(QUrl(u"redis://:wrong@127.0.0.1:%1"_s.arg(redis.port()))));
    QCOMPARE(options.password, u"wrong"_s);
    options.reconnectDelay = 50ms;
    SocketIo::RedisConnection refused(options);
    QSignalSpy errors(&refused, &SocketIo::RedisConnection::errorOccurred);
    QTRY_VERIFY(errors.size() >= 2);
    QVERIFY2(errors.at(0).at(0).toString().startsWith(u"AUTH refused: "_s), qPrintable(errors.at(0).at(0).toString()));
    QCOMPARE(refused.state(), SocketIo::RedisConnection::State::Connecting);
    QVERIFY(log.count(u"cannot connect to Redis .*AUTH refused"_s) >= 1);

    QVERIFY(options.setUrl(QUrl(u"redis://:s3cret@127.0.0.1:%1"_s.arg(redis.port()))));
    SocketIo::RedisConnection accepted(options);
    QSignalSpy connected(&accepted, &SocketIo::RedisConnection::connected);
    QVERIFY(connected.wait(5000));
    QVERIFY(accepted.isConnected());
}

void tst_RedisFaults::serverSideEmitWithAckWithoutClusterAdapterFails()
{
    // the core hook with the default in-memory adapter: socket.io's error, never inside the call
    SocketIo::Server io;
    QString error;
    bool called = false;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"serverSideEmit.*no other server nodes"_s));
    io.serverSideEmitWithAck(u"ping"_s, {}, this, [&](const QString &e, const QCborArray &responses) {
        called = true;
        error = e;
        QVERIFY(responses.isEmpty());
    });
    QVERIFY(!called);
    QTRY_VERIFY(called);
    QCOMPARE(error, u"this adapter does not support the serverSideEmit() functionality"_s);

    called = false;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name"_s));
    io.serverSideEmitWithAck(u"connection"_s, {}, this, [&](const QString &e, const QCborArray &) {
        called = true;
        error = e;
    });
    QTRY_VERIFY(called);
    QCOMPARE(error, u"\"connection\" is a reserved event name"_s);

    // no callback once the context is gone
    called = false;
    auto context = std::make_unique<QObject>();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"serverSideEmit.*no other server nodes"_s));
    io.serverSideEmitWithAck(u"ping"_s, {}, context.get(), [&](const QString &, const QCborArray &) { called = true; });
    context.reset();
    bool later = false;   // queued after the delivery: once it ran, the delivery had its chance
    QMetaObject::invokeMethod(this, [&later] { later = true; }, Qt::QueuedConnection);
    QTRY_VERIFY(later);
    QVERIFY(!called);
}

namespace {
const QString NumSubNotConnected = u"cannot count the servers: PUBSUB NUMSUB failed: not connected to Redis"_s;
}

void tst_RedisFaults::unansweredNumSubFailsTheRequests()
{
    // a cluster of A, B and a Node.js node; then Redis goes away: A cannot count the nodes, and its
    // requests say so instead of answering with A's sockets / rooms alone as if it were alone
    SOCKETIO_REQUIRE_NODE();
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    SocketIo::Test::NodeProcess node;
    QVERIFY(node.start(u"redis-node-server.js"_s, {u"--redis"_s, redis.url(), u"--requests-timeout"_s, u"1000"_s}));
    QVERIFY2(!node.waitForEvent(u"listening"_s, 20000).isEmpty(), qPrintable(node.diagnostics()));
    Node a;
    Node b;
    QVERIFY(startNode(a, redis.port(), true));
    QVERIFY(startNode(b, redis.port(), true));
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 3, 5000);
    const QString idA = a.socket->id();

    // while Redis answers, the same request reaches every node
    bool done = false;
    QString error = u"unset"_s;
    QList<SocketIo::RemoteSocket> sockets;
    a.adapter()->fetchRemoteSockets(SocketIo::BroadcastOptions(),
                                    [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
                                        done = true;
                                        sockets = list;
                                        error = e;
                                    });
    QTRY_VERIFY(done);
    QCOMPARE(error, QString());
    QCOMPARE(sockets.size(), 2);

    QSignalSpy aDown(a.redis.get(), &SocketIo::RedisConnection::disconnected);
    redis.stop();
    QTRY_COMPARE(aDown.size(), 1);
    SocketIo::Test::RedisLogCapture log;
    QSignalSpy failed(a.adapter(), &SocketIo::RedisAdapter::requestFailed);

    done = false;
    a.adapter()->fetchRemoteSockets(SocketIo::BroadcastOptions(),
                                    [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
                                        done = true;
                                        sockets = list;
                                        error = e;
                                    });
    QTRY_VERIFY(done);
    QCOMPARE(error, NumSubNotConnected);
    QCOMPARE(sockets.size(), 1);   // this node's, with the error
    QCOMPARE(sockets.at(0).id(), idA);

    QString roomsError = u"unset"_s;
    QSet<QString> rooms;
    a.adapter()->allRooms([&](const QSet<QString> &r, const QString &e) {
        rooms = r;
        roomsError = e;
    });
    QTRY_VERIFY(roomsError != u"unset"_s);
    QCOMPARE(roomsError, NumSubNotConnected);
    QCOMPARE(rooms, QSet<QString>{idA});

    QString emitError = u"unset"_s;
    QCborArray responses{u"unset"_s};
    a.io->of(u"/"_s)->serverSideEmitWithAck(u"server-ping"_s, {}, this, [&](const QString &e, const QCborArray &r) {
        emitError = e;
        responses = r;
    });
    QTRY_VERIFY(emitError != u"unset"_s);
    QCOMPARE(emitError, NumSubNotConnected);
    QCOMPARE(responses, QCborArray());

    // the core API's fetchSockets cannot carry the error: this node's sockets, requestFailed(), a warning
    bool coreDone = false;
    a.io->of(u"/"_s)->fetchSockets(this, [&](const QList<SocketIo::RemoteSocket> &list) {
        coreDone = true;
        sockets = list;
    });
    QTRY_VERIFY(coreDone);
    QCOMPARE(sockets.size(), 1);
    QCOMPARE(failed.size(), 4);
    for (const QList<QVariant> &signal : std::as_const(failed))
        QCOMPARE(signal.at(0).toString(), NumSubNotConnected);
    QCOMPARE(log.count(u"cannot count the servers: PUBSUB NUMSUB failed"_s), 4);
    // serverCount has no error to give: 1
    QCOMPARE(serverCountOf(a.adapter()), 1);
}

void tst_RedisFaults::numSubErrorReplyFailsTheRequests()
{
    // Redis connected but refusing PUBSUB (renamed away, as some hosted Redis do): an error reply
    RedisServer redis;
    QVERIFY2(redis.start(0, {u"--rename-command"_s, u"PUBSUB"_s, u"PUBSUB-HIDDEN"_s}), qPrintable(redis.output()));
    Node a;
    Node b;
    QVERIFY(startNode(a, redis.port(), true));
    QVERIFY(startNode(b, redis.port(), true));
    QVERIFY(b.io->emitEvent(u"relayed"_s));   // Pub/Sub itself works
    QTRY_VERIFY(a.events.contains(u"relayed"_s));
    SocketIo::Test::RedisLogCapture log;
    QString error = u"unset"_s;
    a.adapter()->fetchRemoteSockets(SocketIo::BroadcastOptions(),
                                    [&](const QList<SocketIo::RemoteSocket> &, const QString &e) { error = e; });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY2(error.startsWith(u"cannot count the servers: PUBSUB NUMSUB failed: ERR unknown command"_s), qPrintable(error));
    QString emitError = u"unset"_s;
    a.io->of(u"/"_s)->serverSideEmitWithAck(u"ping"_s, {}, this,
                                             [&](const QString &e, const QCborArray &) { emitError = e; });
    QTRY_VERIFY(emitError != u"unset"_s);
    QCOMPARE(emitError, error);
    QCOMPARE(log.count(u"cannot count the servers"_s), 2);
}

void tst_RedisFaults::fetchSocketsWaitsRequestsTimeoutAsTheOfficialAdapter()
{
    // a node that never answers (a silent subscriber of the request channel) holds fetchSockets
    // until requestsTimeout (1000 ms on every node here), whatever its timeout flag (200 ms)
    SOCKETIO_REQUIRE_NODE();
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    SocketIo::Test::NodeProcess node;
    QVERIFY(node.start(u"redis-node-server.js"_s, {u"--redis"_s, redis.url(), u"--requests-timeout"_s, u"1000"_s}));
    QVERIFY2(!node.waitForEvent(u"listening"_s, 20000).isEmpty(), qPrintable(node.diagnostics()));
    Node a;
    QVERIFY(startNode(a, redis.port(), true));
    RawRedisClient silent;
    QVERIFY(silent.open(redis.port()));
    silent.command({"SUBSCRIBE", "socket.io-request#/#"});
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(a.adapter()), 3, 5000);
    SocketIo::Test::RedisLogCapture log;

    // the official adapter first: io.timeout(200).fetchSockets() on the Node node
    QElapsedTimer nodeTimer;
    nodeTimer.start();
    node.send({{u"cmd"_s, u"fetch-sockets"_s}, {u"timeout"_s, 200}, {u"id"_s, 1}});
    const QJsonObject result = node.waitForLine(
        [](const QJsonObject &l) { return l.value(u"event"_s) == u"result"_s && l.value(u"id"_s) == 1; }, 10000);
    const qint64 nodeElapsed = nodeTimer.elapsed();
    QVERIFY2(!result.isEmpty(), qPrintable(node.diagnostics()));
    QCOMPARE(result.value(u"error"_s).toString(), u"timeout reached while waiting for fetchSockets response"_s);
    QVERIFY2(nodeElapsed >= 900, qPrintable(QString::number(nodeElapsed)));

    // ours, the same
    SocketIo::BroadcastOptions opts;
    opts.flags.timeout = 200ms;
    QString error;
    qint64 elapsed = -1;
    QElapsedTimer timer;
    timer.start();
    a.adapter()->fetchRemoteSockets(opts, [&](const QList<SocketIo::RemoteSocket> &, const QString &e) {
        error = e;
        elapsed = timer.elapsed();
    });
    QTRY_VERIFY_WITH_TIMEOUT(elapsed >= 0, 5000);
    QCOMPARE(error, u"timeout reached while waiting for fetchSockets response"_s);
    QVERIFY2(elapsed >= 900, qPrintable(QString::number(elapsed)));
    QVERIFY2(elapsed < 3000, qPrintable(QString::number(elapsed)));
}

QTEST_GUILESS_MAIN(tst_RedisFaults)
#include "tst_redis_faults.moc"

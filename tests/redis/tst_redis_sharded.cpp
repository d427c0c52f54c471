// The sharded adapter (RedisAdapterOptions::sharded, RedisShardedAdapter) in a mixed cluster on one
// real redis-server 7: two of our servers (each with its own RedisConnection) and one Node.js
// socket.io 4.8.4 server with the pinned @socket.io/redis-adapter's createShardedAdapter
// (tests/interop/js/redis-node-server.js --sharded), one client on each. Proves every ClusterAdapter
// message type in both directions (broadcasts with rooms/except/volatile/binary, broadcast acks,
// socketsJoin/Leave, disconnectSockets, fetchSockets, serverSideEmit with and without acks), the
// JSON/MessagePack choice, responses on the requester's channel, messages of other namespaces and
// of our own uid ignored, serverCount (PUBSUB SHARDNUMSUB), the room channels of each
// subscription mode (static and dynamic-private with a Node node of their own), socket.io's
// timeout errors, garbage on the shard channels, and recovery after a Redis restart.
#include "clienttesthelpers.h"
#include "nodeprocess.h"
#include "redistesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/msgpackcodec.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/namespace.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/redisshardedadapter.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::NodeProcess;
using SocketIo::Test::QtNode;
using SocketIo::Test::RawRedisClient;
using SocketIo::Test::RedisServer;
using SocketIo::Test::TestClient;
using SocketIo::Test::stringSet;

namespace {

constexpr auto kRequestsTimeout = 1500ms;

// the smessage payloads a raw SSUBSCRIBEd client received on \a channel, in order (RESP2 push
// frames *3 $8 smessage $N channel $M payload)
QList<QByteArray> smessages(const QByteArray &received, const QByteArray &channel)
{
    QList<QByteArray> payloads;
    const QByteArray head = "$8\r\nsmessage\r\n$" + QByteArray::number(channel.size()) + "\r\n" + channel + "\r\n$";
    qsizetype from = 0;
    while ((from = received.indexOf(head, from)) >= 0) {
        from += head.size();
        const qsizetype end = received.indexOf("\r\n", from);
        if (end < 0)
            break;
        const int length = received.mid(from, end - from).toInt();
        if (end + 2 + length > received.size())
            break;
        payloads.append(received.mid(end + 2, length));
        from = end + 2 + length;
    }
    return payloads;
}

} // namespace

class tst_RedisSharded : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void serverCountIsShardNumSub();
    void broadcastsCrossEveryNodeJsonOrMsgpack();
    void roomBroadcastsUseTheRoomChannelInDynamicMode();
    void roomChannelsFollowRoomsInDynamicMode();
    void volatileAndLocalFlags();
    void broadcastAcksCountClientsOnEveryNode();
    void fetchSocketsSeesSocketsOnEveryNode();
    void socketsJoinAndLeaveAcrossNodes();
    void remoteSocketActionsAcrossNodes();
    void broadcastAckTimeoutsAcrossNodes();
    void serverSideEmitWithAndWithoutAcks();
    void ownUidAndOtherNamespacesAreIgnored();
    void otherNamespacesHaveTheirOwnChannels();
    void requestsTimeOutWhenANodeNeverAnswers();
    void garbageOnShardChannelsIsLoggedAndIgnored();
    void staticModeUsesOnlyTheNamespaceChannel();
    void dynamicPrivateModeSubscribesEveryRoom();
    void dynamicModeChannelChoice();
    void disconnectSocketsReachesAnotherNode();
    void recoversAfterRedisRestart();
    void authenticatesAndReportsRefusedPasswords();

private:
    SocketIo::RedisShardedAdapter *adapterOf(QtNode &node, const QString &nsp = u"/"_s)
    {
        return qobject_cast<SocketIo::RedisShardedAdapter *>(node.io->of(nsp)->adapter());
    }
    QJsonObject nodeCommand(NodeProcess &node, QJsonObject command);
    QJsonObject nodeCommand(QJsonObject command) { return nodeCommand(m_node, std::move(command)); }
    bool startNode(NodeProcess &node, const QString &mode, const QString &prefix, quint16 *port, QString *uid);
    bool startQtNode(QtNode &node, const QString &name,
                     SocketIo::RedisSubscriptionMode mode = SocketIo::RedisSubscriptionMode::Dynamic,
                     const QString &prefix = u"socket.io"_s);
    bool connectClient(TestClient &client, const QString &user, quint16 port, const QString &room,
                       const QString &nsp = u"/"_s);
    QStringList shardChannels(const QString &pattern);
    void checkMode(const QString &modeName, SocketIo::RedisSubscriptionMode mode, const QString &prefix,
                   QStringList *channels, QByteArrayList *usedChannels, QStringList *ids);
    int serverCountOf(QtNode &node) { return SocketIo::Test::serverCountOf(adapterOf(node)); }

    RedisServer m_redis;
    NodeProcess m_node;
    quint16 m_nodePort = 0;
    QString m_nodeUid;
    QtNode m_a;
    QtNode m_b;
    TestClient m_clientA;
    TestClient m_clientB;
    TestClient m_clientN;
    int m_commandId = 0;
};

bool tst_RedisSharded::startNode(NodeProcess &node, const QString &mode, const QString &prefix, quint16 *port,
                                 QString *uid)
{
    if (!node.start(u"redis-node-server.js"_s, {u"--sharded"_s, u"--redis"_s, m_redis.url(), u"--name"_s, u"node"_s,
                                                 u"--mode"_s, mode, u"--prefix"_s, prefix}))
        return false;
    const QJsonObject listening = node.waitForEvent(u"listening"_s, 20000);
    if (listening.isEmpty()) {
        qWarning("%s", qPrintable(node.diagnostics()));
        return false;
    }
    *port = quint16(listening.value(u"port"_s).toInt());
    *uid = listening.value(u"uid"_s).toString();
    return true;
}

bool tst_RedisSharded::startQtNode(QtNode &node, const QString &name, SocketIo::RedisSubscriptionMode mode,
                                   const QString &prefix)
{
    node.name = name;
    SocketIo::RedisAdapterOptions redisOptions;
    if (!redisOptions.setUrl(QUrl(m_redis.url())))
        return false;
    redisOptions.sharded = true;
    redisOptions.subscriptionMode = mode;
    redisOptions.channelPrefix = prefix;
    redisOptions.requestsTimeout = kRequestsTimeout;
    redisOptions.reconnectDelay = 50ms;
    redisOptions.reconnectDelayMax = 200ms;
    node.redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    SocketIo::ServerOptions options;
    options.adapter = node.redis->adapterFactory();
    node.io = std::make_unique<SocketIo::Server>(options);
    SocketIo::Server *io = node.io.get();
    for (const QString &nspName : {u"/"_s, u"/other"_s}) {
        SocketIo::Namespace *nsp = io->of(nspName);
        connect(nsp, &SocketIo::Namespace::connection, nsp, [name](SocketIo::Socket *socket) {
            const QCborMap auth = socket->handshake().auth;
            socket->setData(QCborMap{{u"node"_s, name}, {u"user"_s, auth.value(u"user"_s)}});
            if (auth.contains(u"room"_s))
                socket->join(auth.value(u"room"_s).toString());
            socket->on(u"join"_s, socket, [socket](const SocketIo::Message &m) {
                socket->join(m.args().at(0).toString());
                m.ack({});
            });
            socket->on(u"leave"_s, socket, [socket](const SocketIo::Message &m) {
                socket->leave(m.args().at(0).toString());
                m.ack({});
            });
        });
        connect(nsp, &SocketIo::Namespace::serverSideEventWithAckReceived, nsp,
                [name](const QString &, const QCborArray &args, const SocketIo::Namespace::ServerSideAck &ack) {
                    ack(QCborMap{{u"from"_s, name}, {u"got"_s, args.isEmpty() ? QCborValue(nullptr) : args.at(0)}});
                });
    }
    QSignalSpy connected(node.redis.get(), &SocketIo::RedisConnection::connected);
    if (!io->listen(QHostAddress::LocalHost, 0))
        return false;
    return node.redis->isConnected() || connected.wait(10000);
}

bool tst_RedisSharded::connectClient(TestClient &client, const QString &user, quint16 port, const QString &room,
                                     const QString &nsp)
{
    client.user = user;
    SocketIo::ClientOptions options;
    options.reconnection = false;
    client.client = std::make_unique<SocketIo::Client>(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = QCborMap{{u"user"_s, user}};
    if (!room.isEmpty())
        socketOptions.auth.insert(u"room"_s, room);
    client.socket = client.client->socket(nsp, socketOptions);
    TestClient *self = &client;
    connect(client.socket, &SocketIo::ClientSocket::eventReceived, this, [self](const SocketIo::Message &m) {
        self->events.append(m);
        if (m.event() == u"question"_s)
            m.ack({self->user});
    });
    QSignalSpy connected(client.socket, &SocketIo::ClientSocket::connected);
    return connected.wait(10000);
}

QJsonObject tst_RedisSharded::nodeCommand(NodeProcess &node, QJsonObject command)
{
    const int id = ++m_commandId;
    command.insert(u"id"_s, id);
    node.send(command);
    return node.waitForLine([id](const QJsonObject &line) {
        return line.value(u"event"_s).toString() == u"result"_s && line.value(u"id"_s).toInt() == id;
    }, 15000);
}

QStringList tst_RedisSharded::shardChannels(const QString &pattern)
{
    QStringList list;
    for (const QJsonValue &v : nodeCommand({{u"cmd"_s, u"shard-channels"_s}, {u"pattern"_s, pattern}})
                                       .value(u"channels"_s)
                                       .toArray())
        list.append(v.toString());
    list.sort();
    return list;
}

void tst_RedisSharded::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    QVERIFY2(m_redis.start(), qPrintable(m_redis.output()));
    QVERIFY(startNode(m_node, u"dynamic"_s, u"socket.io"_s, &m_nodePort, &m_nodeUid));
    QCOMPARE(m_nodeUid.size(), 16);
    QVERIFY(startQtNode(m_a, u"A"_s));
    QVERIFY(startQtNode(m_b, u"B"_s));
    QVERIFY(adapterOf(m_a));
    QVERIFY(QRegularExpression(u"^[0-9a-f]{16}$"_s).match(adapterOf(m_a)->uid()).hasMatch());
    QVERIFY(adapterOf(m_a)->uid() != adapterOf(m_b)->uid());
    QVERIFY(connectClient(m_clientA, u"a"_s, m_a.io->serverPort(), QString()));
    QVERIFY(connectClient(m_clientB, u"b"_s, m_b.io->serverPort(), u"red"_s));
    QVERIFY(connectClient(m_clientN, u"n"_s, m_nodePort, u"red"_s));
}

void tst_RedisSharded::cleanupTestCase()
{
    m_clientA.client.reset();
    m_clientB.client.reset();
    m_clientN.client.reset();
    m_a.io.reset();
    m_b.io.reset();
    m_a.redis.reset();
    m_b.redis.reset();
    m_node.kill();
    m_redis.stop();
}

void tst_RedisSharded::serverCountIsShardNumSub()
{
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(m_a), 3, 10000);
    QCOMPARE(serverCountOf(m_b), 3);
    QCOMPARE(nodeCommand({{u"cmd"_s, u"server-count"_s}}).value(u"count"_s).toInt(), 3);
    // the channels: each node's namespace channel and response channel
    const QStringList channels = shardChannels(u"socket.io#/#*"_s);
    QVERIFY(channels.contains(u"socket.io#/#"_s));
    for (const QString &uid : {adapterOf(m_a)->uid(), adapterOf(m_b)->uid(), m_nodeUid})
        QVERIFY2(channels.contains(u"socket.io#/#%1#"_s.arg(uid)), qPrintable(channels.join(u' ')));
}

void tst_RedisSharded::broadcastsCrossEveryNodeJsonOrMsgpack()
{
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"SSUBSCRIBE", "socket.io#/#"});
    QTRY_VERIFY(spy.received().contains("ssubscribe"));
    QTRY_COMPARE(serverCountOf(m_a), 4);

    // Qt -> Qt and Node, with binary: MessagePack {type, data, uid, nsp}
    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    QVERIFY(m_a.io->emitEvent(u"from-a"_s, {1, bytes, QCborMap{{u"k"_s, u"v"_s}}}));
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-a"_s), 1);
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN}) {
        const QCborArray args = c->last(u"from-a"_s).args();
        QCOMPARE(args.size(), 3);
        QCOMPARE(args.at(0).toInteger(), 1);
        QCOMPARE(args.at(1).toByteArray(), bytes);
        QCOMPARE(args.at(2).toMap().value(u"k"_s).toString(), u"v"_s);
    }
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 1);
    const QByteArray binaryMessage = smessages(spy.received(), "socket.io#/#").at(0);
    QCOMPARE(quint8(binaryMessage.at(0)), quint8(0x84));   // a msgpack map of 4
    const QCborMap decoded = SocketIo::MsgPack::decode(binaryMessage).toMap();
    QCOMPARE(decoded.value(u"type"_s).toInteger(), 3);
    QCOMPARE(decoded.value(u"uid"_s).toString(), adapterOf(m_a)->uid());
    QCOMPARE(decoded.value(u"nsp"_s).toString(), u"/"_s);
    QCOMPARE(decoded.value(u"data"_s).toMap().value(u"packet"_s).toMap().value(u"data"_s).toArray().at(2).toByteArray(),
             bytes);

    // without binary: JSON text
    QVERIFY(m_b.io->emitEvent(u"from-b"_s, {u"hello"_s}));
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-b"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 2);
    const QJsonObject json = QJsonDocument::fromJson(smessages(spy.received(), "socket.io#/#").at(1)).object();
    QCOMPARE(json.value(u"type"_s).toInt(), 3);
    QCOMPARE(json.value(u"uid"_s).toString(), adapterOf(m_b)->uid());
    QCOMPARE(json.value(u"data"_s).toObject().value(u"opts"_s).toObject(),
             (QJsonObject{{u"rooms"_s, QJsonArray{}}, {u"except"_s, QJsonArray{}}, {u"flags"_s, QJsonObject{}}}));

    // Node -> Qt, binary included
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"from-node"_s},
                 {u"args"_s, QJsonArray{NodeProcess::binary(bytes), 2.5}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-node"_s), 1);
    const QCborArray args = m_clientA.last(u"from-node"_s).args();
    QCOMPARE(args.at(0).toByteArray(), bytes);
    QCOMPARE(args.at(1).toDouble(), 2.5);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 3);
    QCOMPARE(quint8(smessages(spy.received(), "socket.io#/#").at(2).at(0)), quint8(0x84));
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"from-node-text"_s}, {u"args"_s, QJsonArray{u"t"_s}}});
    QTRY_COMPARE(m_clientB.count(u"from-node-text"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 4);
    QVERIFY(smessages(spy.received(), "socket.io#/#").at(3).startsWith('{'));
    spy.socket()->abort();
    QTRY_COMPARE(serverCountOf(m_a), 3);
}

void tst_RedisSharded::roomBroadcastsUseTheRoomChannelInDynamicMode()
{
    // B's and Node's clients are in "red": both nodes subscribed socket.io#/#red#
    QTRY_VERIFY(shardChannels(u"socket.io#/#red#"_s) == QStringList{u"socket.io#/#red#"_s});
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"SSUBSCRIBE", "socket.io#/#red#"});
    spy.command({"SSUBSCRIBE", "socket.io#/#"});
    QTRY_COMPARE(spy.received().count("ssubscribe"), 2);

    // A has no member of "red" and publishes on the room's channel
    QVERIFY(m_a.io->to(u"red"_s).emitEvent(u"red-news"_s, {1}));
    QTRY_COMPARE(m_clientB.count(u"red-news"_s), 1);
    QTRY_COMPARE(m_clientN.count(u"red-news"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#red#").size(), 1);
    QVERIFY(smessages(spy.received(), "socket.io#/#red#").at(0).contains("red-news"));
    // Node does the same
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"red"_s}, {u"event"_s, u"red-node"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientB.count(u"red-node"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#red#").size(), 2);
    // except: a room with except also travels on the room channel; a socket id (20 chars) does not
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"red"_s}, {u"except"_s, m_clientB.socket->id()},
                 {u"event"_s, u"red-except"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientN.count(u"red-except"_s), 1);
    QCOMPARE(m_clientB.socket->id().size(), 20);
    QVERIFY(m_b.io->to(m_clientA.socket->id()).emitEvent(u"private"_s));
    QTRY_COMPARE(m_clientA.count(u"private"_s), 1);
    QTRY_VERIFY(smessages(spy.received(), "socket.io#/#").size() >= 1);
    QVERIFY(smessages(spy.received(), "socket.io#/#").last().contains("private"));
    // several rooms: the namespace channel
    QVERIFY(m_b.io->to(QStringList{u"red"_s, m_clientA.socket->id()}).except(u"red"_s).emitEvent(u"multi"_s));
    QTRY_COMPARE(m_clientA.count(u"multi"_s), 1);
    QTRY_VERIFY(smessages(spy.received(), "socket.io#/#").last().contains("multi"));
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"marker"_s}, {u"args"_s, QJsonArray{}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"marker"_s), 1);
    QCOMPARE(m_clientA.count(u"red-news"_s), 0);
    QCOMPARE(m_clientB.count(u"red-except"_s), 0);
    QCOMPARE(m_clientB.count(u"multi"_s), 0);
    QCOMPARE(m_clientN.count(u"multi"_s), 0);
}

void tst_RedisSharded::roomChannelsFollowRoomsInDynamicMode()
{
    // dynamic: socket ids get no channel, public rooms do while they have a local member
    QVERIFY(!shardChannels(u"socket.io#/#*"_s).contains(u"socket.io#/#%1#"_s.arg(m_clientA.socket->id())));
    QVERIFY(adapterOf(m_b)->subscribedRooms().contains(u"red"_s));
    QVERIFY(!adapterOf(m_a)->subscribedRooms().contains(u"red"_s));
    std::unique_ptr<SocketIo::AckReply> joined =
            SocketIo::Test::keep(m_clientA.socket->emitWithAck(u"join"_s, {u"green"_s}, 5s));
    QTRY_VERIFY(joined->isFinished());
    QCOMPARE(adapterOf(m_a)->subscribedRooms(), QStringList{u"green"_s});
    QTRY_COMPARE(shardChannels(u"socket.io#/#green#"_s), QStringList{u"socket.io#/#green#"_s});
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"green"_s}, {u"event"_s, u"green-news"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientA.count(u"green-news"_s), 1);
    std::unique_ptr<SocketIo::AckReply> left =
            SocketIo::Test::keep(m_clientA.socket->emitWithAck(u"leave"_s, {u"green"_s}, 5s));
    QTRY_VERIFY(left->isFinished());
    QVERIFY(adapterOf(m_a)->subscribedRooms().isEmpty());
    QTRY_VERIFY(shardChannels(u"socket.io#/#green#"_s).isEmpty());
}

void tst_RedisSharded::volatileAndLocalFlags()
{
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"SSUBSCRIBE", "socket.io#/#"});
    QTRY_VERIFY(spy.received().contains("ssubscribe"));
    QVERIFY(m_a.io->of(u"/"_s)->asVolatile().emitEvent(u"volatile-news"_s));
    QTRY_COMPARE(m_clientN.count(u"volatile-news"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"volatile-news"_s), 1);
    QTRY_VERIFY(!smessages(spy.received(), "socket.io#/#").isEmpty());
    QVERIFY(smessages(spy.received(), "socket.io#/#").at(0).contains(R"("flags":{"volatile":true})"));
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"node-volatile"_s}, {u"volatile"_s, true},
                 {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientA.count(u"node-volatile"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 2);
    QVERIFY(smessages(spy.received(), "socket.io#/#").at(1).contains(R"("flags":{"volatile":true})"));
    // local(): nothing published
    QVERIFY(m_a.io->of(u"/"_s)->local().emitEvent(u"local-only"_s));
    QVERIFY(m_b.io->emitEvent(u"after-local"_s));
    QTRY_COMPARE(m_clientN.count(u"after-local"_s), 1);
    QTRY_COMPARE(m_clientA.count(u"local-only"_s), 1);
    QTRY_COMPARE(smessages(spy.received(), "socket.io#/#").size(), 3);
    QVERIFY(!spy.received().contains("local-only"));
    QCOMPARE(m_clientN.count(u"local-only"_s), 0);
    QCOMPARE(m_clientB.count(u"local-only"_s), 0);
}

void tst_RedisSharded::broadcastAcksCountClientsOnEveryNode()
{
    RawRedisClient spy;   // watches A's own response channel
    QVERIFY(spy.open(m_redis.port()));
    const QByteArray aResponses = "socket.io#/#" + adapterOf(m_a)->uid().toUtf8() + '#';
    spy.command({"SSUBSCRIBE", aResponses});
    QTRY_VERIFY(spy.received().contains("ssubscribe"));

    std::unique_ptr<SocketIo::AckReply> reply =
            SocketIo::Test::keep(m_a.io->of(u"/"_s)->timeout(3s).emitWithAck(u"question"_s, {u"?"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QSet<QString> users;
    for (const QCborValue &v : reply->responses())
        users.insert(v.toString());
    QCOMPARE(users, (QSet<QString>{u"a"_s, u"b"_s, u"n"_s}));
    // the answers came on A's response channel: one client count per other node, one ack per client
    QTRY_COMPARE(smessages(spy.received(), aResponses).size(), 4);
    int counts = 0;
    for (const QByteArray &payload : smessages(spy.received(), aResponses)) {
        const QJsonObject o = QJsonDocument::fromJson(payload).object();
        counts += o.value(u"type"_s).toInt() == 11 ? 1 : 0;
        QVERIFY(o.value(u"type"_s).toInt() == 11 || o.value(u"type"_s).toInt() == 12);
    }
    QCOMPARE(counts, 2);

    // from the Node node
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"question"_s},
                                            {u"args"_s, QJsonArray{}}, {u"ack"_s, true}, {u"timeout"_s, 3000}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QCOMPARE(stringSet(result.value(u"responses"_s).toArray()), (QSet<QString>{u"a"_s, u"b"_s, u"n"_s}));

    // to a room only (with ack: the namespace channel): B's and Node's clients
    std::unique_ptr<SocketIo::AckReply> roomReply =
            SocketIo::Test::keep(m_a.io->to(u"red"_s).timeout(3s).emitWithAck(u"question"_s, {}));
    QTRY_VERIFY_WITH_TIMEOUT(roomReply->isFinished(), 5000);
    QCOMPARE(roomReply->error(), SocketIo::AckReply::Error::NoError);
    QCOMPARE(roomReply->responses().size(), 2);

    // a binary ack from a Node-side client travels as MessagePack and arrives as bytes
    const QJsonObject binaryResult = nodeCommand({{u"cmd"_s, u"emit"_s}, {u"room"_s, m_clientA.socket->id()},
                                                  {u"event"_s, u"question"_s}, {u"args"_s, QJsonArray{}},
                                                  {u"ack"_s, true}, {u"timeout"_s, 3000}});
    QCOMPARE(binaryResult.value(u"responses"_s).toArray(), QJsonArray{u"a"_s});
}

void tst_RedisSharded::fetchSocketsSeesSocketsOnEveryNode()
{
    QList<SocketIo::RemoteSocket> sockets;
    bool done = false;
    m_a.io->of(u"/"_s)->fetchSockets(this, [&](const QList<SocketIo::RemoteSocket> &list) {
        sockets = list;
        done = true;
    });
    QTRY_VERIFY(done);
    QCOMPARE(sockets.size(), 3);
    QHash<QString, SocketIo::RemoteSocket> byUser;
    for (const SocketIo::RemoteSocket &s : sockets)
        byUser.insert(s.data().toMap().value(u"user"_s).toString(), s);
    QCOMPARE(byUser.value(u"a"_s).data().toMap().value(u"node"_s).toString(), u"A"_s);
    QCOMPARE(byUser.value(u"b"_s).data().toMap().value(u"node"_s).toString(), u"B"_s);
    QCOMPARE(byUser.value(u"n"_s).data().toMap().value(u"node"_s).toString(), u"node"_s);
    QCOMPARE(byUser.value(u"n"_s).id(), m_clientN.socket->id());
    QVERIFY(byUser.value(u"n"_s).rooms().contains(u"red"_s));
    QVERIFY(byUser.value(u"n"_s).rooms().contains(m_clientN.socket->id()));
    QCOMPARE(byUser.value(u"n"_s).handshake().auth.value(u"user"_s).toString(), u"n"_s);
    QCOMPARE(byUser.value(u"b"_s).handshake().auth.value(u"room"_s).toString(), u"red"_s);

    // a room, with the error-reporting API
    SocketIo::BroadcastOptions red;
    red.rooms = {u"red"_s};
    QString error = u"unset"_s;
    adapterOf(m_a)->fetchRemoteSockets(red, [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
        sockets = list;
        error = e;
    });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY(error.isEmpty());
    QCOMPARE(sockets.size(), 2);

    // from Node: our sockets with their data and handshake
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    const QJsonArray list = result.value(u"sockets"_s).toArray();
    QCOMPARE(list.size(), 3);
    QSet<QString> nodes;
    for (const QJsonValue &v : list) {
        const QJsonObject s = v.toObject();
        nodes.insert(s.value(u"data"_s).toObject().value(u"node"_s).toString());
        QVERIFY(stringSet(s.value(u"rooms"_s).toArray()).contains(s.value(u"id"_s).toString()));
        QCOMPARE(s.value(u"auth"_s).toObject().value(u"user"_s).toString(),
                 s.value(u"data"_s).toObject().value(u"user"_s).toString());
    }
    QCOMPARE(nodes, (QSet<QString>{u"A"_s, u"B"_s, u"node"_s}));

    // binary socket data: the FETCH_SOCKETS_RESPONSE goes as MessagePack, Node gets a Buffer
    SocketIo::Socket *b = m_b.io->of(u"/"_s)->sockets().at(0);
    b->setData(QCborMap{{u"node"_s, u"B"_s}, {u"user"_s, u"b"_s}, {u"blob"_s, QByteArray("\x01\x02", 2)}});
    const QJsonObject withBinary = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, m_clientB.socket->id()}});
    QCOMPARE(withBinary.value(u"sockets"_s).toArray().size(), 1);
    QCOMPARE(NodeProcess::fromBinary(
                     withBinary.value(u"sockets"_s).toArray().at(0).toObject().value(u"data"_s).toObject().value(u"blob"_s)),
             QByteArray("\x01\x02", 2));
    b->setData(QCborMap{{u"node"_s, u"B"_s}, {u"user"_s, u"b"_s}});
}

void tst_RedisSharded::socketsJoinAndLeaveAcrossNodes()
{
    m_a.io->of(u"/"_s)->socketsJoin({u"everyone"_s});
    QTRY_VERIFY(m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    QTRY_COMPARE(nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"everyone"_s}}).value(u"sockets"_s).toArray().size(),
                 3);
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"everyone"_s}, {u"event"_s, u"to-everyone"_s},
                 {u"args"_s, QJsonArray{}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"to-everyone"_s), 1);

    // Node makes them leave again (and join another, through a room selection)
    nodeCommand({{u"cmd"_s, u"sockets-leave"_s}, {u"rooms"_s, QJsonArray{u"everyone"_s}}});
    QTRY_VERIFY(!m_a.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    QTRY_VERIFY(!m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    QVERIFY(adapterOf(m_a)->subscribedRooms().isEmpty());
    nodeCommand({{u"cmd"_s, u"sockets-join"_s}, {u"room"_s, u"red"_s}, {u"rooms"_s, QJsonArray{u"crimson"_s}}});
    QTRY_VERIFY(m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"crimson"_s));
    QVERIFY(!m_a.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"crimson"_s));
    QTRY_COMPARE(nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"crimson"_s}}).value(u"sockets"_s).toArray().size(), 2);
    m_b.io->of(u"/"_s)->socketsLeave({u"crimson"_s});   // Node's client leaves too
    QTRY_VERIFY(!m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"crimson"_s));
    QTRY_VERIFY(nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"crimson"_s}})
                        .value(u"sockets"_s)
                        .toArray()
                        .isEmpty());
}

void tst_RedisSharded::remoteSocketActionsAcrossNodes()
{
    // Qt fetches Node's socket and acts on it: join, emit, leave (SOCKETS_JOIN/BROADCAST/SOCKETS_LEAVE
    // with the socket's id as the room)
    QList<SocketIo::RemoteSocket> sockets;
    bool done = false;
    m_a.io->of(u"/"_s)->fetchSockets(this, [&](const QList<SocketIo::RemoteSocket> &list) {
        sockets = list;
        done = true;
    });
    QTRY_VERIFY(done);
    SocketIo::RemoteSocket n;
    for (const SocketIo::RemoteSocket &s : std::as_const(sockets)) {
        if (s.id() == m_clientN.socket->id())
            n = s;
    }
    QVERIFY(n.isValid());
    n.join({u"vip"_s});
    QVERIFY(n.emitEvent(u"direct"_s, {u"to-n"_s, QByteArray("\x05", 1)}));
    QTRY_COMPARE(m_clientN.count(u"direct"_s), 1);
    QCOMPARE(m_clientN.last(u"direct"_s).args().at(1).toByteArray(), QByteArray("\x05", 1));
    QTRY_COMPARE(nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"vip"_s}}).value(u"sockets"_s).toArray().size(), 1);
    n.leave(u"vip"_s);
    QTRY_VERIFY(nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"vip"_s}}).value(u"sockets"_s).toArray().isEmpty());
    QCOMPARE(m_clientA.count(u"direct"_s), 0);
    QCOMPARE(m_clientB.count(u"direct"_s), 0);

    // Node does the same with B's socket
    const QJsonObject joined = nodeCommand({{u"cmd"_s, u"remote-action"_s}, {u"room"_s, m_clientB.socket->id()},
                                            {u"action"_s, u"join"_s}, {u"rooms"_s, QJsonArray{u"vip"_s}}});
    QCOMPARE(joined.value(u"count"_s).toInt(), 1);
    SocketIo::Socket *b = m_b.io->of(u"/"_s)->sockets().at(0);
    QTRY_VERIFY(b->rooms().contains(u"vip"_s));
    nodeCommand({{u"cmd"_s, u"remote-action"_s}, {u"room"_s, m_clientB.socket->id()}, {u"action"_s, u"emit"_s},
                 {u"event"_s, u"direct-b"_s}, {u"args"_s, QJsonArray{1}}});
    QTRY_COMPARE(m_clientB.count(u"direct-b"_s), 1);
    nodeCommand({{u"cmd"_s, u"remote-action"_s}, {u"room"_s, m_clientB.socket->id()}, {u"action"_s, u"leave"_s},
                 {u"rooms"_s, QJsonArray{u"vip"_s}}});
    QTRY_VERIFY(!b->rooms().contains(u"vip"_s));
    QCOMPARE(m_clientA.count(u"direct-b"_s), 0);
    QCOMPARE(m_clientN.count(u"direct-b"_s), 0);
}

void tst_RedisSharded::broadcastAckTimeoutsAcrossNodes()
{
    // nobody answers "unanswered": socket.io's timeout error, with what arrived (nothing)
    std::unique_ptr<SocketIo::AckReply> reply =
            SocketIo::Test::keep(m_a.io->of(u"/"_s)->timeout(400ms).emitWithAck(u"unanswered"_s, {}));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 3000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::Timeout);
    QCOMPARE(reply->errorString(), u"operation has timed out"_s);
    QVERIFY(reply->responses().isEmpty());
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"unanswered"_s), 1);
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"unanswered"_s},
                                            {u"args"_s, QJsonArray{}}, {u"ack"_s, true}, {u"timeout"_s, 400}});
    QCOMPARE(result.value(u"error"_s).toString(), u"operation has timed out"_s);
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"unanswered"_s), 2);
}

void tst_RedisSharded::serverSideEmitWithAndWithoutAcks()
{
    SocketIo::Namespace *nspA = m_a.io->of(u"/"_s);
    SocketIo::Namespace *nspB = m_b.io->of(u"/"_s);
    QSignalSpy receivedB(nspB, &SocketIo::Namespace::serverSideEventReceived);
    QSignalSpy receivedA(nspA, &SocketIo::Namespace::serverSideEventReceived);

    // without ack, Qt -> B and Node
    QVERIFY(nspA->serverSideEmit(u"server-note"_s, {u"hi"_s, 7}));
    QTRY_COMPARE(receivedB.size(), 1);
    QCOMPARE(receivedB.at(0).at(0).toString(), u"server-note"_s);
    QCOMPARE(receivedB.at(0).at(1).value<QCborArray>(), (QCborArray{u"hi"_s, 7}));
    const QJsonObject note = m_node.waitForEvent(u"server-side"_s);
    QCOMPARE(note.value(u"args"_s).toArray(), (QJsonArray{u"hi"_s, 7}));
    QCOMPARE(receivedA.size(), 0);   // not to itself
    // binary: MessagePack, so Node gets a Buffer
    QVERIFY(nspA->serverSideEmit(u"server-note"_s, {QByteArray("\x10\x20", 2)}));
    const QJsonObject binaryNote = m_node.waitForEvent(u"server-side"_s);
    QCOMPARE(NodeProcess::fromBinary(binaryNote.value(u"args"_s).toArray().at(0)), QByteArray("\x10\x20", 2));
    QTRY_COMPARE(receivedB.size(), 2);
    QCOMPARE(receivedB.at(1).at(1).value<QCborArray>().at(0).toByteArray(), QByteArray("\x10\x20", 2));
    // Node -> Qt
    nodeCommand({{u"cmd"_s, u"server-side-emit"_s}, {u"event"_s, u"server-note"_s}, {u"args"_s, QJsonArray{u"n"_s}}});
    QTRY_COMPARE(receivedA.size(), 1);
    QTRY_COMPARE(receivedB.size(), 3);
    QCOMPARE(receivedA.at(0).at(1).value<QCborArray>(), (QCborArray{u"n"_s}));

    // with ack, from Qt: Node and B answer
    QString error = u"unset"_s;
    QCborArray responses;
    nspA->serverSideEmitWithAck(u"server-ping"_s, {42}, this, [&](const QString &e, const QCborArray &r) {
        error = e;
        responses = r;
    });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(responses.size(), 2);
    QSet<QString> from;
    for (const QCborValue &r : responses) {
        from.insert(r.toMap().value(u"from"_s).toString());
        QCOMPARE(r.toMap().value(u"got"_s).toInteger(), 42);
    }
    QCOMPARE(from, (QSet<QString>{u"B"_s, u"node"_s}));

    // with ack, from Node: both Qt nodes answer
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"server-side-emit"_s}, {u"event"_s, u"server-ping"_s},
                                            {u"args"_s, QJsonArray{u"x"_s}}, {u"ack"_s, true}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QSet<QString> answered;
    for (const QJsonValue &v : result.value(u"responses"_s).toArray()) {
        answered.insert(v.toObject().value(u"from"_s).toString());
        QCOMPARE(v.toObject().value(u"got"_s).toString(), u"x"_s);
    }
    QCOMPARE(answered, (QSet<QString>{u"A"_s, u"B"_s}));
}

void tst_RedisSharded::ownUidAndOtherNamespacesAreIgnored()
{
    RawRedisClient raw;
    QVERIFY(raw.open(m_redis.port()));
    const auto publish = [&raw](const QByteArray &channel, const QString &uid, const QString &nsp, const QString &event) {
        const QJsonObject message{
                {u"type"_s, 3},
                {u"data"_s, QJsonObject{{u"packet"_s, QJsonObject{{u"type"_s, 2}, {u"data"_s, QJsonArray{event}}, {u"nsp"_s, nsp}}},
                                        {u"opts"_s, QJsonObject{{u"rooms"_s, QJsonArray{}}, {u"except"_s, QJsonArray{}},
                                                                {u"flags"_s, QJsonObject{}}}}}},
                {u"uid"_s, uid},
                {u"nsp"_s, nsp}};
        raw.command({"SPUBLISH", channel, QJsonDocument(message).toJson(QJsonDocument::Compact)});
    };
    publish("socket.io#/#", adapterOf(m_a)->uid(), u"/"_s, u"as-a"_s);        // A's own uid: only B and Node
    publish("socket.io#/#", u"0123456789abcdef"_s, u"/other"_s, u"wrong-nsp"_s);   // nobody
    publish("socket.io#/#", u"0123456789abcdef"_s, u"/"_s, u"stranger"_s);   // everybody
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"stranger"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"as-a"_s), 1);
    QTRY_COMPARE(m_clientN.count(u"as-a"_s), 1);
    QCOMPARE(m_clientA.count(u"as-a"_s), 0);
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QCOMPARE(c->count(u"wrong-nsp"_s), 0);
}

void tst_RedisSharded::otherNamespacesHaveTheirOwnChannels()
{
    TestClient otherA;
    TestClient otherN;
    QVERIFY(connectClient(otherA, u"oa"_s, m_a.io->serverPort(), u"red"_s, u"/other"_s));
    QVERIFY(connectClient(otherN, u"on"_s, m_nodePort, QString(), u"/other"_s));
    QCOMPARE(SocketIo::Test::serverCountOf(adapterOf(m_a, u"/other"_s)), 3);
    QVERIFY(shardChannels(u"socket.io#/other#*"_s).contains(u"socket.io#/other#red#"_s));
    QVERIFY(m_b.io->of(u"/other"_s)->emitEvent(u"other-news"_s, {1}));
    QTRY_COMPARE(otherA.count(u"other-news"_s), 1);
    QTRY_COMPARE(otherN.count(u"other-news"_s), 1);
    // "red" of /other is not "red" of /
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"nsp"_s, u"/other"_s}, {u"room"_s, u"red"_s}, {u"event"_s, u"other-red"_s},
                 {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(otherA.count(u"other-red"_s), 1);
    QVERIFY(m_a.io->emitEvent(u"main-only"_s));
    QTRY_COMPARE(m_clientN.count(u"main-only"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"main-only"_s), 1);
    QCOMPARE(m_clientB.count(u"other-red"_s), 0);
    QCOMPARE(otherA.count(u"main-only"_s), 0);
    QCOMPARE(otherN.count(u"main-only"_s), 0);
}

void tst_RedisSharded::requestsTimeOutWhenANodeNeverAnswers()
{
    // a fourth "node" subscribed to the namespace channel that never answers
    RawRedisClient silent;
    QVERIFY(silent.open(m_redis.port()));
    silent.command({"SSUBSCRIBE", "socket.io#/#"});
    QTRY_COMPARE(serverCountOf(m_a), 4);

    QString fetchError;
    QList<SocketIo::RemoteSocket> sockets;
    QString emitError;
    QCborArray emitResponses;
    QSignalSpy failed(adapterOf(m_a), &SocketIo::RedisShardedAdapter::requestFailed);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"timeout reached: only 2 responses received out of 3"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"timeout reached: only 2 responses received out of 3"_s));
    adapterOf(m_a)->fetchRemoteSockets(SocketIo::BroadcastOptions(),
                                       [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
                                           sockets = list;
                                           fetchError = e;
                                       });
    m_a.io->of(u"/"_s)->serverSideEmitWithAck(u"server-ping"_s, {}, this, [&](const QString &e, const QCborArray &r) {
        emitError = e;
        emitResponses = r;
    });
    QTRY_VERIFY_WITH_TIMEOUT(!fetchError.isEmpty() && !emitError.isEmpty(), 5000);
    QCOMPARE(fetchError, u"timeout reached: only 2 responses received out of 3"_s);
    QCOMPARE(sockets.size(), 3);   // what arrived is kept
    QCOMPARE(emitError, u"timeout reached: only 2 responses received out of 3"_s);
    QCOMPARE(emitResponses.size(), 2);
    QCOMPARE(failed.size(), 2);

    // the Node node reports the same text for the same situation
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"timeout"_s, 1000}});
    QCOMPARE(result.value(u"error"_s).toString(), u"timeout reached: only 2 responses received out of 3"_s);
    silent.socket()->abort();
    QTRY_COMPARE(serverCountOf(m_a), 3);
}

void tst_RedisSharded::garbageOnShardChannelsIsLoggedAndIgnored()
{
    // a room only A has (Node's adapter would throw on some of these and stop: keep those away from it)
    std::unique_ptr<SocketIo::AckReply> joined =
            SocketIo::Test::keep(m_clientA.socket->emitWithAck(u"join"_s, {u"qt-only"_s}, 5s));
    QTRY_VERIFY(joined->isFinished());
    QTRY_COMPARE(shardChannels(u"socket.io#/#qt-only#"_s), QStringList{u"socket.io#/#qt-only#"_s});
    SocketIo::Test::RedisLogCapture log;
    const QByteArray response = "socket.io#/#" + adapterOf(m_a)->uid().toUtf8() + '#';
    const QList<QPair<QByteArray, QByteArray>> garbage{
            {"socket.io#/#", "{not json"},
            {"socket.io#/#", QByteArray("\xc1\xc1\xc1", 3)},         // not msgpack
            {"socket.io#/#", QByteArray("\x93\x01\x02\x03", 4)},     // msgpack, not a map
            {"socket.io#/#", R"({"uid":"x","nsp":"/"})"},             // no type
            {"socket.io#/#", R"({"type":99,"uid":"x","nsp":"/","data":{}})"},
            {"socket.io#/#", R"({"type":9,"uid":"x","nsp":"/","data":{"packet":[1]}})"},
            {"socket.io#/#red#", "\xff"},
            {"socket.io#/#qt-only#", R"({"type":3,"uid":"x","nsp":"/"})"},    // no data
            {"socket.io#/#qt-only#", R"({"type":3,"uid":"x","nsp":"/","data":{"packet":{"type":0},"opts":{}}})"},
            {response, "[]"},
            {response, R"({"type":8,"uid":"x","nsp":"/","data":{"sockets":[]}})"},   // no requestId
            {response, R"({"type":8,"uid":"x","nsp":"/","data":{"requestId":"nope","sockets":7}})"},
    };
    for (const auto &[channel, payload] : garbage)
        nodeCommand({{u"cmd"_s, u"spublish"_s}, {u"channel"_s, QString::fromUtf8(channel)},
                     {u"hex"_s, QString::fromLatin1(payload.toHex())}});
    // still working, in both directions
    QVERIFY(m_b.io->emitEvent(u"after-garbage"_s));
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"after-garbage-node"_s}, {u"args"_s, QJsonArray{}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN}) {
        QTRY_COMPARE(c->count(u"after-garbage"_s), 1);
        QTRY_COMPARE(c->count(u"after-garbage-node"_s), 1);
    }
    // A and B: 4 each on the namespace channel; B: 1 on "red"; A: 1 on its response channel
    QTRY_COMPARE(log.count(u"malformed message"_s), 2 * 4 + 1 + 1);
    QVERIFY2(log.count(u"no data"_s) == 1, qPrintable(log.messages().join(u'\n')));
    QCOMPARE(log.count(u"is not an event"_s), 1);
    QCOMPARE(log.count(u"without event name"_s), 2);
    QCOMPARE(log.count(u"without requestId"_s), 1);
    std::unique_ptr<SocketIo::AckReply> left =
            SocketIo::Test::keep(m_clientA.socket->emitWithAck(u"leave"_s, {u"qt-only"_s}, 5s));
    QTRY_VERIFY(left->isFinished());
    QCOMPARE(serverCountOf(m_a), 3);
}

// One Node node and one Qt node of mode \a mode on channel prefix \a prefix, a client on each in
// room "blue"; broadcasts to "blue" both ways; returns the channels the broadcasts used.
void tst_RedisSharded::checkMode(const QString &modeName, SocketIo::RedisSubscriptionMode mode, const QString &prefix,
                                 QStringList *channels, QByteArrayList *usedChannels, QStringList *ids)
{
    NodeProcess node;
    quint16 port = 0;
    QString uid;
    QVERIFY(startNode(node, modeName, prefix, &port, &uid));
    QtNode q;
    QVERIFY(startQtNode(q, u"M"_s, mode, prefix));
    TestClient cq;
    TestClient cn;
    QVERIFY(connectClient(cq, u"mq"_s, q.io->serverPort(), u"blue"_s));
    QVERIFY(connectClient(cn, u"mn"_s, port, u"blue"_s));
    QTRY_COMPARE(SocketIo::Test::serverCountOf(adapterOf(q)), 2);
    *ids = QStringList{cq.socket->id(), cn.socket->id(), uid, adapterOf(q)->uid()};
    const QByteArray p = prefix.toUtf8();
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"SSUBSCRIBE", p + "#/#"});
    spy.command({"SSUBSCRIBE", p + "#/#blue#"});
    QTRY_COMPARE(spy.received().count("ssubscribe"), 2);
    // Qt -> Node and Node -> Qt, to one room
    QVERIFY(q.io->to(u"blue"_s).emitEvent(u"blue-q"_s, {1}));
    QTRY_COMPARE(cn.count(u"blue-q"_s), 1);
    QTRY_COMPARE(cq.count(u"blue-q"_s), 1);
    nodeCommand(node, {{u"cmd"_s, u"emit"_s}, {u"room"_s, u"blue"_s}, {u"event"_s, u"blue-n"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(cq.count(u"blue-n"_s), 1);
    // Qt -> Node, to one socket id
    QVERIFY(q.io->to(cn.socket->id()).emitEvent(u"private-q"_s));
    QTRY_COMPARE(cn.count(u"private-q"_s), 1);
    nodeCommand(node, {{u"cmd"_s, u"emit"_s}, {u"room"_s, cq.socket->id()}, {u"event"_s, u"private-n"_s},
                       {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(cq.count(u"private-n"_s), 1);
    QCOMPARE(cq.count(u"private-q"_s), 0);
    for (const char *event : {"blue-q", "blue-n"}) {
        for (const QByteArray &ch : QByteArrayList{p + "#/#", p + "#/#blue#"}) {
            for (const QByteArray &payload : smessages(spy.received(), ch)) {
                if (payload.contains(event))
                    usedChannels->append(ch);
            }
        }
    }
    // the socket-id broadcasts: on the namespace channel unless dynamic-private (then their own
    // channel, which the spy did not subscribe)
    int privateOnMain = 0;
    for (const QByteArray &payload : smessages(spy.received(), p + "#/#"))
        privateOnMain += payload.contains("private-") ? 1 : 0;
    usedChannels->append("private-on-main:" + QByteArray::number(privateOnMain));
    spy.socket()->abort();   // its channels are gone once the namespace channel counts 2 again
    QTRY_COMPARE(SocketIo::Test::serverCountOf(adapterOf(q)), 2);
    *channels = shardChannels(prefix + u"#/#*"_s);
}

void tst_RedisSharded::staticModeUsesOnlyTheNamespaceChannel()
{
    QStringList channels;
    QByteArrayList used;
    QStringList ids;
    checkMode(u"static"_s, SocketIo::RedisSubscriptionMode::Static, u"st"_s, &channels, &used, &ids);
    if (QTest::currentTestFailed())
        return;
    QStringList expected{u"st#/#"_s, u"st#/#%1#"_s.arg(ids.at(2)), u"st#/#%1#"_s.arg(ids.at(3))};
    expected.sort();
    QCOMPARE(channels, expected);   // no room channels at all
    QCOMPARE(used, (QByteArrayList{"st#/#", "st#/#", "private-on-main:2"}));
}

void tst_RedisSharded::dynamicPrivateModeSubscribesEveryRoom()
{
    QStringList channels;
    QByteArrayList used;
    QStringList ids;
    checkMode(u"dynamic-private"_s, SocketIo::RedisSubscriptionMode::DynamicPrivate, u"dp"_s, &channels, &used, &ids);
    if (QTest::currentTestFailed())
        return;
    QStringList expected{u"dp#/#"_s, u"dp#/#blue#"_s};
    for (const QString &id : ids)
        expected.append(u"dp#/#%1#"_s.arg(id));   // both sockets' own rooms, both response channels
    expected.sort();
    QCOMPARE(channels, expected);
    QCOMPARE(used, (QByteArrayList{"dp#/#blue#", "dp#/#blue#", "private-on-main:0"}));
}

void tst_RedisSharded::dynamicModeChannelChoice()
{
    // the default mode, in a cluster of its own like the other two
    QStringList channels;
    QByteArrayList used;
    QStringList ids;
    checkMode(u"dynamic"_s, SocketIo::RedisSubscriptionMode::Dynamic, u"dy"_s, &channels, &used, &ids);
    if (QTest::currentTestFailed())
        return;
    QStringList expected{u"dy#/#"_s, u"dy#/#blue#"_s, u"dy#/#%1#"_s.arg(ids.at(2)), u"dy#/#%1#"_s.arg(ids.at(3))};
    expected.sort();
    QCOMPARE(channels, expected);
    QCOMPARE(used, (QByteArrayList{"dy#/#blue#", "dy#/#blue#", "private-on-main:2"}));
}

void tst_RedisSharded::disconnectSocketsReachesAnotherNode()
{
    QSignalSpy disconnected(m_clientA.socket, &SocketIo::ClientSocket::disconnected);
    nodeCommand({{u"cmd"_s, u"disconnect-sockets"_s}, {u"room"_s, m_clientA.socket->id()}});
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_COMPARE(m_a.io->of(u"/"_s)->socketCount(), 0);
    // and from Qt, with close: the Node client in "red" goes
    QSignalSpy nGone(m_clientN.socket, &SocketIo::ClientSocket::disconnected);
    m_a.io->to(u"red"_s).disconnectSockets(true);
    QTRY_COMPARE(nGone.size(), 1);
    QVERIFY(!m_node.waitForEvent(u"disconnect"_s).isEmpty());
    QTRY_COMPARE(m_b.io->of(u"/"_s)->socketCount(), 0);
}

void tst_RedisSharded::recoversAfterRedisRestart()
{
    // fresh clients (the previous test disconnected them): A's in "red", B's not
    TestClient a;
    TestClient b;
    TestClient n;
    QVERIFY(connectClient(a, u"a2"_s, m_a.io->serverPort(), u"red"_s));
    QVERIFY(connectClient(b, u"b2"_s, m_b.io->serverPort(), QString()));
    QVERIFY(connectClient(n, u"n2"_s, m_nodePort, QString()));
    QSignalSpy aDown(m_a.redis.get(), &SocketIo::RedisConnection::disconnected);
    QSignalSpy bDown(m_b.redis.get(), &SocketIo::RedisConnection::disconnected);
    QSignalSpy aUp(m_a.redis.get(), &SocketIo::RedisConnection::connected);
    QSignalSpy bUp(m_b.redis.get(), &SocketIo::RedisConnection::connected);
    {
        SocketIo::Test::RedisLogCapture log;
        const quint16 port = m_redis.port();
        m_redis.stop();
        QTRY_COMPARE(aDown.size(), 1);
        QTRY_COMPARE(bDown.size(), 1);
        QCOMPARE(m_a.redis->state(), SocketIo::RedisConnection::State::Disconnected);
        // local traffic goes on; serverCount says 1
        QVERIFY(m_a.io->emitEvent(u"during"_s));
        QTRY_COMPARE(a.count(u"during"_s), 1);
        QCOMPARE(serverCountOf(m_a), 1);
        // but the requests that need the count fail, they do not answer for A alone
        QString emitError = u"unset"_s;
        m_a.io->of(u"/"_s)->serverSideEmitWithAck(u"server-ping"_s, {}, this,
                                                   [&emitError](const QString &e, const QCborArray &) { emitError = e; });
        QTRY_VERIFY(emitError != u"unset"_s);
        QCOMPARE(emitError, u"cannot count the servers: PUBSUB SHARDNUMSUB failed: not connected to Redis"_s);
        QVERIFY2(m_redis.start(port), qPrintable(m_redis.output()));
        QTRY_VERIFY_WITH_TIMEOUT(aUp.size() >= 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(bUp.size() >= 1, 10000);
        QVERIFY(log.count(u"sharded subscriber"_s) >= 1);
    }
    // every channel subscribed again, the room channel of "red" included (A has a member)
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(m_a), 3, 10000);   // Node's client resubscribed too
    QTRY_VERIFY(shardChannels(u"socket.io#/#red#"_s) == QStringList{u"socket.io#/#red#"_s});
    QVERIFY(m_b.io->emitEvent(u"after"_s));
    QTRY_COMPARE(a.count(u"after"_s), 1);
    QTRY_COMPARE(n.count(u"after"_s), 1);
    QVERIFY(m_b.io->to(u"red"_s).emitEvent(u"after-red"_s));
    QTRY_COMPARE(a.count(u"after-red"_s), 1);
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"red"_s}, {u"event"_s, u"after-red-node"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(a.count(u"after-red-node"_s), 1);
    QVERIFY(m_a.io->emitEvent(u"after-a"_s));
    QTRY_COMPARE(b.count(u"after-a"_s), 1);
    QTRY_COMPARE(n.count(u"after-a"_s), 1);
    QCOMPARE(b.count(u"after-red"_s), 0);
}

void tst_RedisSharded::authenticatesAndReportsRefusedPasswords()
{
    RedisServer secured;
    QVERIFY2(secured.start(0, {u"--requirepass"_s, u"s3cret"_s}), qPrintable(secured.output()));
    SocketIo::RedisAdapterOptions options;
    options.port = secured.port();
    options.sharded = true;
    options.password = u"s3cret"_s;
    options.reconnectDelay = 50ms;
    {
        SocketIo::RedisConnection redis(options);
        SocketIo::ServerOptions serverOptions;
        serverOptions.adapter = redis.adapterFactory();
        SocketIo::Server io(serverOptions);
        QSignalSpy connected(&redis, &SocketIo::RedisConnection::connected);
        QVERIFY(connected.wait(10000));
        auto *adapter = qobject_cast<SocketIo::RedisShardedAdapter *>(io.of(u"/"_s)->adapter());
        QVERIFY(adapter);
        QCOMPARE(SocketIo::Test::serverCountOf(adapter), 1);
        RawRedisClient raw;   // authenticated, sees our subscription
        QVERIFY(raw.open(secured.port()));
        raw.command({"AUTH", "s3cret"});
        raw.command({"PUBSUB", "SHARDNUMSUB", "socket.io#/#"});
        QTRY_VERIFY(raw.received().contains("$12\r\nsocket.io#/#\r\n:1\r\n"));
    }
    // a wrong password: both connections report it and keep trying, nothing else happens
    SocketIo::Test::RedisLogCapture log;
    options.password = u"wrong"_s;
    SocketIo::RedisConnection refused(options);
    QSignalSpy errors(&refused, &SocketIo::RedisConnection::errorOccurred);
    QTRY_VERIFY(errors.size() >= 4);
    for (const QList<QVariant> &e : std::as_const(errors))
        QVERIFY2(e.at(0).toString().startsWith(u"AUTH refused: "_s), qPrintable(e.at(0).toString()));
    QVERIFY(log.count(u"cannot connect to Redis .*AUTH refused"_s) >= 1);
    QCOMPARE(refused.state(), SocketIo::RedisConnection::State::Connecting);
}

QTEST_GUILESS_MAIN(tst_RedisSharded)
#include "tst_redis_sharded.moc"

// A mixed cluster on one real redis-server: two of our servers (each with its own
// RedisConnection) and one Node.js socket.io 4.8.4 server with the pinned @socket.io/redis-adapter
// (tests/interop/js/redis-node-server.js), one client on each. Proves broadcasts (all, rooms,
// except, binary) in every direction, fetchSockets / socketsJoin / socketsLeave / allRooms /
// disconnectSockets / serverSideEmit (with and without acks) across nodes, broadcast acks from
// every node's clients, serverCount, @socket.io/redis-emitter messages, and socket.io's timeout
// errors when a subscribed node never answers; Node's compress(false) honoured for our polling
// clients.
#include "gzippollingpeer.h"
#include "nodeprocess.h"
#include "redistesthelpers.h"
#include "clienttesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/namespace.h>
#include <SocketIo/redisadapter.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QHostAddress>
#include <QRegularExpression>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::GzipPollingPeer;
using SocketIo::Test::NodeProcess;
using SocketIo::Test::QtNode;
using SocketIo::Test::RawRedisClient;
using SocketIo::Test::RedisServer;
using SocketIo::Test::TestClient;
using SocketIo::Test::stringSet;

namespace {

constexpr auto kRequestsTimeout = 1500ms;

} // namespace

class tst_RedisCluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void serverCountCountsEveryNode();
    void broadcastsCrossEveryNodeWithBinaries();
    void roomAndExceptBroadcastsReachOnlyTheirMembers();
    void broadcastFlagsTravelLikeNodes();
    void compressFlagFromNodeReachesOurPollingClients();
    void fetchSocketsSeesSocketsOnEveryNode();
    void socketsJoinLeaveAndAllRoomsAcrossNodes();
    void serverSideEmitWithAndWithoutAcks();
    void broadcastAcksCountClientsOnEveryNode();
    void volatileBroadcastWithAckFromNodeReachesAPollingPeer();
    void redisEmitterMessagesAreDelivered();
    void legacyRequestFormsAreAnswered();
    void otherNamespacesHaveTheirOwnChannels();
    void requestsTimeOutWhenANodeNeverAnswers();
    void specificResponseChannelAnswersTheRequester();
    void disconnectSocketsReachesAnotherNode();
    void requestsAreWrittenAsNodeWritesThem();

private:
    SocketIo::RedisAdapter *adapterOf(QtNode &node)
    {
        return qobject_cast<SocketIo::RedisAdapter *>(node.io->of(u"/"_s)->adapter());
    }
    QJsonObject nodeCommand(QJsonObject command);
    bool startQtNode(QtNode &node, const QString &name, bool specificResponseChannel = false);
    bool connectClient(TestClient &client, const QString &user, quint16 port, const QString &room);
    int serverCountOf(QtNode &node) { return SocketIo::Test::serverCountOf(adapterOf(node)); }
    static int serverCountOf(SocketIo::Adapter *adapter) { return SocketIo::Test::serverCountOf(adapter); }

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

bool tst_RedisCluster::startQtNode(QtNode &node, const QString &name, bool specificResponseChannel)
{
    node.name = name;
    SocketIo::RedisAdapterOptions redisOptions;
    if (!redisOptions.setUrl(QUrl(m_redis.url())))
        return false;
    redisOptions.requestsTimeout = kRequestsTimeout;
    redisOptions.publishOnSpecificResponseChannel = specificResponseChannel;
    node.redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    SocketIo::ServerOptions options;
    options.adapter = node.redis->adapterFactory();
    node.io = std::make_unique<SocketIo::Server>(options);
    SocketIo::Server *io = node.io.get();
    connect(io, &SocketIo::Server::connection, io, [name](SocketIo::Socket *socket) {
        const QCborMap auth = socket->handshake().auth;
        socket->setData(QCborMap{{u"node"_s, name}, {u"user"_s, auth.value(u"user"_s)}});
        if (auth.contains(u"room"_s))
            socket->join(auth.value(u"room"_s).toString());
    });
    SocketIo::Namespace *main = io->of(u"/"_s);
    connect(main, &SocketIo::Namespace::serverSideEventWithAckReceived, main,
            [name](const QString &, const QCborArray &args, const SocketIo::Namespace::ServerSideAck &ack) {
                ack(QCborMap{{u"from"_s, name}, {u"got"_s, args.isEmpty() ? QCborValue(nullptr) : args.at(0)}});
            });
    QSignalSpy connected(node.redis.get(), &SocketIo::RedisConnection::connected);
    if (!io->listen(QHostAddress::LocalHost, 0))
        return false;
    return node.redis->isConnected() || connected.wait(10000);
}

bool tst_RedisCluster::connectClient(TestClient &client, const QString &user, quint16 port, const QString &room)
{
    client.user = user;
    SocketIo::ClientOptions options;
    options.reconnection = false;
    client.client = std::make_unique<SocketIo::Client>(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = QCborMap{{u"user"_s, user}};
    if (!room.isEmpty())
        socketOptions.auth.insert(u"room"_s, room);
    client.socket = client.client->socket(u"/"_s, socketOptions);
    TestClient *self = &client;
    connect(client.socket, &SocketIo::ClientSocket::eventReceived, this, [self](const SocketIo::Message &m) {
        self->events.append(m);
        if (m.event() == u"question"_s)
            m.ack({self->user});
    });
    QSignalSpy connected(client.socket, &SocketIo::ClientSocket::connected);
    return connected.wait(10000);
}

QJsonObject tst_RedisCluster::nodeCommand(QJsonObject command)
{
    const int id = ++m_commandId;
    command.insert(u"id"_s, id);
    m_node.send(command);
    return m_node.waitForLine([id](const QJsonObject &line) {
        return line.value(u"event"_s).toString() == u"result"_s && line.value(u"id"_s).toInt() == id;
    }, 15000);
}

void tst_RedisCluster::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    QVERIFY2(m_redis.start(), qPrintable(m_redis.output()));
    QVERIFY(m_node.start(u"redis-node-server.js"_s,
                         {u"--redis"_s, m_redis.url(), u"--name"_s, u"node"_s, u"--requests-timeout"_s,
                          QString::number(kRequestsTimeout.count())}));
    const QJsonObject listening = m_node.waitForEvent(u"listening"_s, 20000);
    QVERIFY2(!listening.isEmpty(), qPrintable(m_node.diagnostics()));
    m_nodePort = quint16(listening.value(u"port"_s).toInt());
    m_nodeUid = listening.value(u"uid"_s).toString();
    QCOMPARE(m_nodeUid.size(), 6);
    QVERIFY(startQtNode(m_a, u"A"_s));
    QVERIFY(startQtNode(m_b, u"B"_s));
    QVERIFY(connectClient(m_clientA, u"a"_s, m_a.io->serverPort(), QString()));
    QVERIFY(connectClient(m_clientB, u"b"_s, m_b.io->serverPort(), u"red"_s));
    QVERIFY(connectClient(m_clientN, u"n"_s, m_nodePort, u"red"_s));
}

void tst_RedisCluster::cleanupTestCase()
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

void tst_RedisCluster::serverCountCountsEveryNode()
{
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(m_a), 3, 10000);
    QCOMPARE(serverCountOf(m_b), 3);
    QCOMPARE(nodeCommand({{u"cmd"_s, u"server-count"_s}}).value(u"count"_s).toInt(), 3);
}

void tst_RedisCluster::broadcastsCrossEveryNodeWithBinaries()
{
    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    // Qt -> Qt and Qt -> Node
    QVERIFY(m_a.io->emitEvent(u"from-a"_s, {1, bytes, QCborMap{{u"k"_s, u"v"_s}}}));
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-a"_s), 1);
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN}) {
        const QCborArray args = c->last(u"from-a"_s).args();
        QCOMPARE(args.size(), 3);
        QCOMPARE(args.at(0).toInteger(), 1);
        QVERIFY(args.at(1).isByteArray());
        QCOMPARE(args.at(1).toByteArray(), bytes);
        QCOMPARE(args.at(2).toMap().value(u"k"_s).toString(), u"v"_s);
    }
    // the other Qt node
    QVERIFY(m_b.io->emitEvent(u"from-b"_s, {u"hello"_s}));
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-b"_s), 1);
    // Node -> Qt, binary included
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"from-node"_s},
                 {u"args"_s, QJsonArray{NodeProcess::binary(bytes), 2.5}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-node"_s), 1);
    const QCborArray args = m_clientA.last(u"from-node"_s).args();
    QCOMPARE(args.at(0).toByteArray(), bytes);
    QCOMPARE(args.at(1).toDouble(), 2.5);
}

void tst_RedisCluster::roomAndExceptBroadcastsReachOnlyTheirMembers()
{
    // one-room channel socket.io#/#red#: B's and Node's clients are in "red", A's is not
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"PSUBSCRIBE", "socket.io#/#*"});
    QTRY_VERIFY(spy.received().contains("psubscribe"));
    QVERIFY(m_a.io->to(u"red"_s).emitEvent(u"red-news"_s, {1}));
    QTRY_VERIFY(spy.received().contains("socket.io#/#red#"));
    QTRY_COMPARE(m_clientB.count(u"red-news"_s), 1);
    QTRY_COMPARE(m_clientN.count(u"red-news"_s), 1);
    // a later broadcast to everyone arrives after it on every node: A's client never got the first
    QVERIFY(m_a.io->emitEvent(u"marker-1"_s));
    QTRY_COMPARE(m_clientA.count(u"marker-1"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"marker-1"_s), 1);
    QCOMPARE(m_clientA.count(u"red-news"_s), 0);

    // Node -> room "red" except the Qt client's own room (its id)
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"red"_s}, {u"except"_s, m_clientB.socket->id()},
                 {u"event"_s, u"red-except"_s}, {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientN.count(u"red-except"_s), 1);
    // several rooms (main channel): A's id and "red", except "red" -> only A's client
    QVERIFY(m_b.io->to(QStringList{u"red"_s, m_clientA.socket->id()}).except(u"red"_s).emitEvent(u"multi"_s));
    QTRY_COMPARE(m_clientA.count(u"multi"_s), 1);
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"marker-2"_s}, {u"args"_s, QJsonArray{}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"marker-2"_s), 1);
    QCOMPARE(m_clientB.count(u"red-except"_s), 0);
    QCOMPARE(m_clientB.count(u"multi"_s), 0);
    QCOMPARE(m_clientN.count(u"multi"_s), 0);
}

void tst_RedisCluster::broadcastFlagsTravelLikeNodes()
{
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"PSUBSCRIBE", "socket.io#/#*"});
    QTRY_VERIFY(spy.received().contains("psubscribe"));
    // volatile: {"flags":{"volatile":true}} as notepack writes it; still delivered to writable clients
    QVERIFY(m_a.io->of(u"/"_s)->asVolatile().emitEvent(u"volatile-news"_s));
    QTRY_VERIFY(spy.received().contains(QByteArray("\xa5" "flags" "\x81\xa8" "volatile" "\xc3")));
    QTRY_COMPARE(m_clientN.count(u"volatile-news"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"volatile-news"_s), 1);
    // local(): nothing published, only A's client gets it
    const QByteArray before = spy.received();
    QVERIFY(m_a.io->of(u"/"_s)->local().emitEvent(u"local-only"_s));
    QVERIFY(m_b.io->emitEvent(u"after-local"_s));
    QTRY_COMPARE(m_clientN.count(u"after-local"_s), 1);
    QTRY_COMPARE(m_clientB.count(u"after-local"_s), 1);
    QTRY_COMPARE(m_clientA.count(u"local-only"_s), 1);
    QCOMPARE(m_clientN.count(u"local-only"_s), 0);
    QCOMPARE(m_clientB.count(u"local-only"_s), 0);
    QVERIFY(!spy.received().mid(before.size()).contains("local-only"));
}

void tst_RedisCluster::compressFlagFromNodeReachesOurPollingClients()
{
    // Node's io.compress(false).emit() publishes {"flags":{"compress":false}}; our node honours it
    // for its long-polling members (the response is not compressed), and a default emit is
    const int sessionsBefore = m_a.io->engine()->clientsCount();
    GzipPollingPeer peer;
    QVERIFY(peer.open(m_a.io->serverPort()));
    // the other tests count the cluster's sockets: this one leaves when the test ends, pass or fail
    auto closePeer = qScopeGuard([&] {
        peer.close();
        QTRY_COMPARE(m_a.io->engine()->clientsCount(), sessionsBefore);
    });
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"PSUBSCRIBE", "socket.io#/#*"});
    QTRY_VERIFY(spy.received().contains("psubscribe"));
    QString big;
    for (int i = 0; big.size() < 3000; ++i)
        big += u"compressible text %1 "_s.arg(i);
    for (const bool compress : {false, true}) {
        const QString event = compress ? u"big-default"_s : u"big-no-compress"_s;
        peer.sendPoll();   // parked until the broadcast reaches our node
        QJsonObject command{{u"cmd"_s, u"emit"_s}, {u"event"_s, event}, {u"args"_s, QJsonArray{big}}};
        if (!compress)
            command.insert(u"compress"_s, false);
        QVERIFY(nodeCommand(command).contains(u"id"_s));
        const RawHttpResponse response = peer.waitPoll();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("content-encoding"), compress ? QByteArray("gzip") : QByteArray());
        const QByteArray payload = GzipPollingPeer::payload(response);
        const QByteArray expected = "42[\"" + event.toUtf8() + "\",\"compressible text 0 ";
        QVERIFY2(payload.startsWith(expected),
                 payload.left(80).constData());
        QTRY_COMPARE(m_clientA.count(event), 1);
    }
    // as notepack writes it: "flags" -> {"compress": false}
    QVERIFY(spy.received().contains(QByteArray("\xa5" "flags" "\x81\xa8" "compress" "\xc2")));
}

void tst_RedisCluster::fetchSocketsSeesSocketsOnEveryNode()
{
    // from a Qt node, through the core API
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
    QString error = u"unset"_s;
    done = false;
    SocketIo::BroadcastOptions red;
    red.rooms.insert(u"red"_s);
    adapterOf(m_a)->fetchRemoteSockets(red, [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
        sockets = list;
        error = e;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY(error.isEmpty());
    QCOMPARE(sockets.size(), 2);

    // from the Node node: our sockets with their data and handshake
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    const QJsonArray list = result.value(u"sockets"_s).toArray();
    QCOMPARE(list.size(), 3);
    QSet<QString> nodes;
    for (const QJsonValue &v : list) {
        const QJsonObject s = v.toObject();
        nodes.insert(s.value(u"data"_s).toObject().value(u"node"_s).toString());
        if (s.value(u"id"_s).toString() == m_clientA.socket->id()) {
            QCOMPARE(s.value(u"auth"_s).toObject().value(u"user"_s).toString(), u"a"_s);
            QVERIFY(stringSet(s.value(u"rooms"_s).toArray()).contains(m_clientA.socket->id()));
        }
    }
    QCOMPARE(nodes, (QSet<QString>{u"A"_s, u"B"_s, u"node"_s}));

    // a socket whose data the application never set: {} as socket.io's default (Node code,
    // @socket.io/admin-ui's serialize() among it, reads fields of it)
    SocketIo::Namespace *plainNsp = m_a.io->of(u"/plain"_s);
    QSignalSpy plainConnections(plainNsp, &SocketIo::Namespace::connection);
    SocketIo::ClientSocket *plain = m_clientA.client->socket(u"/plain"_s);
    plain->open();
    QTRY_VERIFY(plain->isConnected());
    QTRY_COMPARE(plainConnections.size(), 1);
    const QJsonObject plainResult = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"nsp"_s, u"/plain"_s}});
    QVERIFY2(!plainResult.contains(u"error"_s), qPrintable(plainResult.value(u"error"_s).toString()));
    const QJsonArray plainList = plainResult.value(u"sockets"_s).toArray();
    QCOMPARE(plainList.size(), 1);
    QVERIFY2(plainList.first().toObject().value(u"data"_s).isObject(),
             QJsonDocument(plainList.first().toObject()).toJson(QJsonDocument::Compact).constData());
    QVERIFY(plainList.first().toObject().value(u"data"_s).toObject().isEmpty());
    plain->close();
}

void tst_RedisCluster::socketsJoinLeaveAndAllRoomsAcrossNodes()
{
    // Qt makes every socket of the cluster join "everyone"; Node's broadcast to it reaches all
    m_a.io->of(u"/"_s)->socketsJoin({u"everyone"_s});
    QTRY_VERIFY(m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    const QJsonObject fetched = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"everyone"_s}});
    QCOMPARE(fetched.value(u"sockets"_s).toArray().size(), 3);
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"room"_s, u"everyone"_s}, {u"event"_s, u"to-everyone"_s},
                 {u"args"_s, QJsonArray{}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"to-everyone"_s), 1);

    // allRooms sees the rooms of every node
    QSet<QString> rooms;
    QString error = u"unset"_s;
    adapterOf(m_a)->allRooms([&](const QSet<QString> &r, const QString &e) {
        rooms = r;
        error = e;
    });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY(error.isEmpty());
    QVERIFY(rooms.contains(u"everyone"_s));
    QVERIFY(rooms.contains(u"red"_s));
    QVERIFY(rooms.contains(m_clientN.socket->id()));
    QVERIFY(rooms.contains(m_clientB.socket->id()));

    // Node makes them leave again, Node's allRooms sees ours
    nodeCommand({{u"cmd"_s, u"sockets-leave"_s}, {u"rooms"_s, QJsonArray{u"everyone"_s}}});
    // a Node node applies its own socketsLeave when its request comes back from Redis
    QVERIFY(!m_node.waitForLine([](const QJsonObject &line) {
                       return line.value(u"event"_s).toString() == u"leave-room"_s
                               && line.value(u"room"_s).toString() == u"everyone"_s;
                   }).isEmpty());
    QTRY_VERIFY(!m_a.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    QTRY_VERIFY(!m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"everyone"_s));
    const QJsonObject all = nodeCommand({{u"cmd"_s, u"all-rooms"_s}});
    const QSet<QString> nodeRooms = stringSet(all.value(u"rooms"_s).toArray());
    QVERIFY(nodeRooms.contains(m_clientA.socket->id()));
    QVERIFY(!nodeRooms.contains(u"everyone"_s));
}

void tst_RedisCluster::serverSideEmitWithAndWithoutAcks()
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
    // bytes in a JSON request travel as JSON.stringify(Buffer) does, like between Node nodes
    QVERIFY(nspA->serverSideEmit(u"server-note"_s, {QByteArray("\x10\x20", 2)}));
    const QJsonObject binaryNote = m_node.waitForEvent(u"server-side"_s);
    QCOMPARE(binaryNote.value(u"args"_s).toArray().at(0).toObject(),
             (QJsonObject{{u"type"_s, u"Buffer"_s}, {u"data"_s, QJsonArray{16, 32}}}));
    QTRY_COMPARE(receivedB.size(), 2);

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

    // the Server shortcut, from the other Qt node
    error = u"unset"_s;
    m_b.io->serverSideEmitWithAck(u"server-ping"_s, {7}, this, [&](const QString &e, const QCborArray &r) {
        error = e;
        responses = r;
    });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    from.clear();
    for (const QCborValue &r : responses)
        from.insert(r.toMap().value(u"from"_s).toString());
    QCOMPARE(from, (QSet<QString>{u"A"_s, u"node"_s}));

    // with ack, from Node: both Qt nodes answer
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"server-side-emit"_s}, {u"event"_s, u"server-ping"_s},
                                            {u"args"_s, QJsonArray{u"x"_s}}, {u"ack"_s, true}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QSet<QString> answered;
    for (const QJsonValue &v : result.value(u"responses"_s).toArray())
        answered.insert(v.toObject().value(u"from"_s).toString());
    QCOMPARE(answered, (QSet<QString>{u"A"_s, u"B"_s}));
}

void tst_RedisCluster::broadcastAcksCountClientsOnEveryNode()
{
    // from a Qt node: the three clients answer with their user name
    std::unique_ptr<SocketIo::AckReply> reply(
            SocketIo::Test::keep(m_a.io->of(u"/"_s)->timeout(3s).emitWithAck(u"question"_s, {u"?"_s})));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QSet<QString> users;
    for (const QCborValue &v : reply->responses())
        users.insert(v.toString());
    QCOMPARE(users, (QSet<QString>{u"a"_s, u"b"_s, u"n"_s}));

    // from the Node node
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"question"_s},
                                            {u"args"_s, QJsonArray{}}, {u"ack"_s, true}, {u"timeout"_s, 3000}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QCOMPARE(stringSet(result.value(u"responses"_s).toArray()), (QSet<QString>{u"a"_s, u"b"_s, u"n"_s}));

    // to a room only: B's and Node's clients
    std::unique_ptr<SocketIo::AckReply> roomReply(
            SocketIo::Test::keep(m_a.io->to(u"red"_s).timeout(3s).emitWithAck(u"question"_s, {})));
    QTRY_VERIFY_WITH_TIMEOUT(roomReply->isFinished(), 5000);
    QCOMPARE(roomReply->error(), SocketIo::AckReply::Error::NoError);
    QCOMPARE(roomReply->responses().size(), 2);
}

// @socket.io/redis-adapter's nodes take rooms and except of a broadcast-with-ack request, not its
// flags: Node's volatile emit with an ack reaches our polling peer that has no GET parked (it
// is counted, so it must get the packet, or the requester only times out)
void tst_RedisCluster::volatileBroadcastWithAckFromNodeReachesAPollingPeer()
{
    const int sessionsBefore = m_a.io->engine()->clientsCount();
    QSignalSpy connections(m_a.io.get(), &SocketIo::Server::connection);
    GzipPollingPeer peer;
    QVERIFY(peer.open(m_a.io->serverPort()));
    auto closePeer = qScopeGuard([&] {
        peer.close();
        QTRY_COMPARE(m_a.io->engine()->clientsCount(), sessionsBefore);
    });
    QTRY_COMPARE(connections.size(), 1);
    connections.first().first().value<SocketIo::Socket *>()->join(u"volatile-room"_s);

    // our node's answer with its client count says it handled the request
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"PSUBSCRIBE", "socket.io-response#*"});
    QTRY_VERIFY(spy.received().contains("psubscribe"));

    const int id = ++m_commandId;
    m_node.send({{u"cmd"_s, u"emit"_s}, {u"id"_s, id}, {u"room"_s, u"volatile-room"_s}, {u"event"_s, u"vq"_s},
                 {u"args"_s, QJsonArray{}}, {u"volatile"_s, true}, {u"ack"_s, true}, {u"timeout"_s, 5000}});
    // handled while no GET was parked; the next GET collects it (a dropped packet would leave
    // the GET parked until the next ping, and waitPoll() would time out)
    QTRY_VERIFY(spy.received().contains("\"clientCount\":1"));
    peer.sendPoll();
    const QByteArray payload = GzipPollingPeer::payload(peer.waitPoll());
    QVERIFY2(payload.contains("[\"vq\"]"), payload.constData());
    // "42<ack id>["vq"]": answered
    const qsizetype start = payload.indexOf("42");
    const qsizetype bracket = payload.indexOf('[', start);
    const QByteArray ackId = payload.mid(start + 2, bracket - start - 2);
    QVERIFY2(!ackId.isEmpty(), payload.constData());
    QVERIFY(peer.send("43" + ackId + "[\"got it\"]"));
    const QJsonObject result = m_node.waitForLine([id](const QJsonObject &line) {
        return line.value(u"event"_s).toString() == u"result"_s && line.value(u"id"_s).toInt() == id;
    }, 15000);
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QCOMPARE(result.value(u"responses"_s).toArray(), QJsonArray{u"got it"_s});
}

void tst_RedisCluster::redisEmitterMessagesAreDelivered()
{
    const QByteArray bytes("\x10\x20", 2);
    nodeCommand({{u"cmd"_s, u"emitter"_s}, {u"event"_s, u"from-emitter"_s},
                 {u"args"_s, QJsonArray{u"e"_s, NodeProcess::binary(bytes)}}});
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_COMPARE(c->count(u"from-emitter"_s), 1);
    QCOMPARE(m_clientA.last(u"from-emitter"_s).args().at(1).toByteArray(), bytes);
    // a room through the emitter, and socketsJoin (a request without uid)
    nodeCommand({{u"cmd"_s, u"emitter"_s}, {u"room"_s, u"red"_s}, {u"event"_s, u"emitter-red"_s},
                 {u"args"_s, QJsonArray{}}});
    QTRY_COMPARE(m_clientB.count(u"emitter-red"_s), 1);
    nodeCommand({{u"cmd"_s, u"emitter-join"_s}, {u"room"_s, m_clientA.socket->id()},
                 {u"rooms"_s, QJsonArray{u"by-emitter"_s}}});
    QTRY_VERIFY(m_a.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"by-emitter"_s));
    QCOMPARE(m_clientA.count(u"emitter-red"_s), 0);
}

void tst_RedisCluster::legacyRequestFormsAreAnswered()
{
    // adapters before v7 sent {requestId, sid, room} and SOCKETS (type 0); the node holding the
    // socket acts and answers {"requestId"}
    RawRedisClient raw;
    QVERIFY(raw.open(m_redis.port()));
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"SUBSCRIBE", "socket.io-response#/#"});
    QTRY_VERIFY(spy.received().contains("subscribe"));
    const QByteArray sid = m_clientB.socket->id().toUtf8();
    raw.command({"PUBLISH", "socket.io-request#/#", R"({"type":2,"requestId":"legacy1","sid":")" + sid + R"(","room":"legacy"})"});
    QTRY_VERIFY(m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"legacy"_s));
    QTRY_VERIFY(spy.received().contains(R"({"requestId":"legacy1"})"));
    raw.command({"PUBLISH", "socket.io-request#/#", R"({"type":3,"requestId":"legacy2","sid":")" + sid + R"(","room":"legacy"})"});
    QTRY_VERIFY(!m_b.io->of(u"/"_s)->sockets().at(0)->rooms().contains(u"legacy"_s));
    QTRY_VERIFY(spy.received().contains(R"({"requestId":"legacy2"})"));
    raw.command({"PUBLISH", "socket.io-request#/#", R"({"type":0,"requestId":"legacy3","rooms":["red"]})"});
    QTRY_VERIFY(spy.received().contains(QByteArray(R"("requestId":"legacy3","sockets":[")" + sid + R"("])")));
}

void tst_RedisCluster::otherNamespacesHaveTheirOwnChannels()
{
    SocketIo::Namespace *chatA = m_a.io->of(u"/chat"_s);
    QVERIFY(m_b.io->of(u"/chat"_s));   // B serves /chat too
    QSignalSpy connected(m_clientB.client->socket(u"/chat"_s), &SocketIo::ClientSocket::connected);
    QSignalSpy received(m_clientB.client->socket(u"/chat"_s), &SocketIo::ClientSocket::eventReceived);
    QVERIFY(connected.wait(10000));
    QTRY_COMPARE(serverCountOf(chatA->adapter()), 2);   // the Node server has no /chat namespace
    QVERIFY(chatA->emitEvent(u"in-chat"_s, {1}));
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.at(0).at(0).value<SocketIo::Message>().event(), u"in-chat"_s);
    // "/" broadcasts do not leak into /chat
    QVERIFY(m_a.io->emitEvent(u"main-only"_s));
    QTRY_COMPARE(m_clientB.count(u"main-only"_s), 1);
    QCOMPARE(received.size(), 1);
}

void tst_RedisCluster::requestsTimeOutWhenANodeNeverAnswers()
{
    // a fourth "node" that subscribes to the request channel and never answers
    RawRedisClient silent;
    QVERIFY(silent.open(m_redis.port()));
    silent.command({"SUBSCRIBE", "socket.io-request#/#"});
    QTRY_COMPARE(serverCountOf(m_a), 4);

    QString fetchError;
    QList<SocketIo::RemoteSocket> sockets;
    QString roomsError;
    QString emitError;
    QCborArray emitResponses;
    QSignalSpy failed(adapterOf(m_a), &SocketIo::RedisAdapter::requestFailed);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"timeout reached while waiting for fetchSockets"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"timeout reached while waiting for allRooms"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"timeout reached: only 2 responses"_s));
    adapterOf(m_a)->fetchRemoteSockets(SocketIo::BroadcastOptions(),
                                       [&](const QList<SocketIo::RemoteSocket> &list, const QString &e) {
                                           sockets = list;
                                           fetchError = e;
                                       });
    adapterOf(m_a)->allRooms([&](const QSet<QString> &, const QString &e) { roomsError = e; });
    m_a.io->of(u"/"_s)->serverSideEmitWithAck(u"server-ping"_s, {}, this, [&](const QString &e, const QCborArray &r) {
        emitError = e;
        emitResponses = r;
    });
    QTRY_VERIFY_WITH_TIMEOUT(!fetchError.isEmpty() && !roomsError.isEmpty() && !emitError.isEmpty(), 5000);
    QCOMPARE(fetchError, u"timeout reached while waiting for fetchSockets response"_s);
    QCOMPARE(sockets.size(), 3);   // what arrived is kept
    QCOMPARE(roomsError, u"timeout reached while waiting for allRooms response"_s);
    QCOMPARE(emitError, u"timeout reached: only 2 responses received out of 3"_s);
    QCOMPARE(emitResponses.size(), 2);
    QCOMPARE(failed.size(), 3);

    // the Node node reports the same text for the same situation
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}});
    QCOMPARE(result.value(u"error"_s).toString(), u"timeout reached while waiting for fetchSockets response"_s);
    silent.socket()->abort();
    QTRY_COMPARE(serverCountOf(m_a), 3);
}

void tst_RedisCluster::specificResponseChannelAnswersTheRequester()
{
    // a fourth node answering on <key>-response#/#<requester uid>#: requesters still count its answer
    QtNode c;
    QVERIFY(startQtNode(c, u"C"_s, true));
    QTRY_COMPARE(serverCountOf(m_a), 4);
    RawRedisClient spy;   // watches the Node requester's own response channel
    QVERIFY(spy.open(m_redis.port()));
    const QByteArray specific = "socket.io-response#/#" + m_nodeUid.toUtf8() + '#';
    spy.command({"SUBSCRIBE", specific});
    QTRY_VERIFY(spy.received().contains("subscribe"));
    const QJsonObject result = nodeCommand({{u"cmd"_s, u"fetch-sockets"_s}});
    QVERIFY2(!result.contains(u"error"_s), qPrintable(result.value(u"error"_s).toString()));
    QCOMPARE(result.value(u"sockets"_s).toArray().size(), 3);
    QTRY_VERIFY(spy.received().contains("requestId"));   // C's answer, on that channel only
    QString error = u"unset"_s;
    adapterOf(m_a)->allRooms([&error](const QSet<QString> &, const QString &e) { error = e; });
    QTRY_VERIFY(error != u"unset"_s);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    c.io.reset();
    c.redis.reset();
    QTRY_COMPARE(serverCountOf(m_a), 3);
}

void tst_RedisCluster::disconnectSocketsReachesAnotherNode()
{
    QSignalSpy disconnected(m_clientA.socket, &SocketIo::ClientSocket::disconnected);
    nodeCommand({{u"cmd"_s, u"disconnect-sockets"_s}, {u"room"_s, m_clientA.socket->id()}});
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_COMPARE(m_a.io->of(u"/"_s)->socketCount(), 0);
    // and from Qt: the Node client in "red" goes, B's too
    QSignalSpy nGone(m_clientN.socket, &SocketIo::ClientSocket::disconnected);
    m_b.io->to(u"red"_s).disconnectSockets();
    QTRY_COMPARE(nGone.size(), 1);
    QVERIFY(!m_node.waitForEvent(u"disconnect"_s).isEmpty());
}

void tst_RedisCluster::requestsAreWrittenAsNodeWritesThem()
{
    // The same seven requests from A and from the Node.js node, seen by a pattern subscriber (not
    // counted by PUBSUB NUMSUB, so nobody waits for it): byte for byte the same JSON once the uid
    // and requestId are blanked, keys in Node's order (uid, requestId, type, then the others;
    // QJsonObject would sort them) and opts as Node writes them.
    RawRedisClient spy;
    QVERIFY(spy.open(m_redis.port()));
    spy.command({"PSUBSCRIBE", "socket.io-request#/#"});
    QTRY_VERIFY(spy.received().contains("psubscribe"));
    QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(m_a), 3, 10000);
    const QString uidA = adapterOf(m_a)->uid();

    // ours
    auto pending = std::make_shared<int>(3);
    SocketIo::BroadcastOptions inR1;
    inR1.rooms = {u"r1"_s};
    adapterOf(m_a)->fetchRemoteSockets(inR1, [pending](const QList<SocketIo::RemoteSocket> &, const QString &) { --*pending; });
    adapterOf(m_a)->allRooms([pending](const QSet<QString> &, const QString &) { --*pending; });
    m_a.io->in(u"nobody-room"_s).socketsJoin({u"r2"_s});
    m_a.io->in(u"nobody-room"_s).socketsLeave({u"r2"_s});
    m_a.io->in(u"nobody-room"_s).disconnectSockets(true);
    m_a.io->of(u"/"_s)->serverSideEmit(u"server-note"_s, {1, u"two"_s});
    m_a.io->of(u"/"_s)->serverSideEmitWithAck(u"server-ping"_s, {5}, this,
                                               [pending](const QString &, const QCborArray &) { --*pending; });
    QTRY_COMPARE_WITH_TIMEOUT(*pending, 0, 5000);

    // Node's
    for (const QJsonObject &command : {
             QJsonObject{{u"cmd"_s, u"fetch-sockets"_s}, {u"room"_s, u"r1"_s}},
             QJsonObject{{u"cmd"_s, u"all-rooms"_s}},
             QJsonObject{{u"cmd"_s, u"sockets-join"_s}, {u"room"_s, u"nobody-room"_s}, {u"rooms"_s, QJsonArray{u"r2"_s}}},
             QJsonObject{{u"cmd"_s, u"sockets-leave"_s}, {u"room"_s, u"nobody-room"_s}, {u"rooms"_s, QJsonArray{u"r2"_s}}},
             QJsonObject{{u"cmd"_s, u"disconnect-sockets"_s}, {u"room"_s, u"nobody-room"_s}, {u"close"_s, true}},
             QJsonObject{{u"cmd"_s, u"server-side-emit"_s}, {u"event"_s, u"server-note"_s}, {u"args"_s, QJsonArray{1, u"two"_s}}},
             QJsonObject{{u"cmd"_s, u"server-side-emit"_s}, {u"event"_s, u"server-ping"_s}, {u"args"_s, QJsonArray{5}},
                         {u"ack"_s, true}},
         }) {
        const QJsonObject result = nodeCommand(command);
        QVERIFY2(!result.isEmpty() && !result.contains(u"error"_s), qPrintable(m_node.diagnostics()));
    }

    // by type (and with or without requestId: serverSideEmit has both): the order of publication
    // differs, fetchSockets and allRooms go out after the PUBSUB NUMSUB answer
    static const QRegularExpression ids(u"\"(uid|requestId)\":\"[^\"]*\""_s);
    static const QRegularExpression typeField(u"\"type\":(\\d+)"_s);
    const auto requestsOf = [&spy](const QString &uid) {
        QMap<QString, QString> byKind;
        for (const QByteArray &line : spy.received().split('\n')) {
            QString text = QString::fromUtf8(line.trimmed());
            if (!text.startsWith(u"{\"uid\":\"%1\""_s.arg(uid)))
                continue;
            const QString kind = typeField.match(text).captured(1) + (text.contains(u"\"requestId\""_s) ? u"+id"_s : u""_s);
            byKind.insert(kind, text.replace(ids, u"\"\\1\":\"x\""_s));
        }
        return byKind;
    };
    QTRY_COMPARE_WITH_TIMEOUT(requestsOf(m_nodeUid).size(), 7, 5000);
    const QMap<QString, QString> ours = requestsOf(uidA);
    const QMap<QString, QString> nodes = requestsOf(m_nodeUid);
    QCOMPARE(ours.keys(), nodes.keys());
    for (auto it = nodes.cbegin(); it != nodes.cend(); ++it)
        QCOMPARE(ours.value(it.key()), it.value());
    // e.g. fetchSockets (REMOTE_FETCH, 5)
    QVERIFY2(ours.values().contains(u"{\"uid\":\"x\",\"requestId\":\"x\",\"type\":5,\"opts\":{\"rooms\":[\"r1\"],\"except\":[]}}"_s),
             qPrintable(ours.values().join(u'\n')));
}

QTEST_GUILESS_MAIN(tst_RedisCluster)
#include "tst_redis_cluster.moc"

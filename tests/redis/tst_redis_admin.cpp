// The admin instrumentation across a mixed Redis cluster (issue #5): one real redis-server, two
// of our servers (each with its own RedisConnection and an Instrumentation with its own serverId)
// and one Node.js socket.io 4.8.4 server with the pinned @socket.io/redis-adapter and
// @socket.io/admin-ui instrument() (tests/interop/js/redis-node-server.js --admin), clients on
// every node. An admin client connected to ONE node sees the whole cluster: server_stats of every
// serverId, all_sockets of every node (cluster-wide fetchSockets; clientId/transport from
// data._admin, which is stripped), the per-socket events of sockets living on other nodes (admin
// broadcasts go through the admin namespace's Redis adapter), and its commands (join,
// _disconnect with a socket filter) act on sockets of other nodes — from our admin namespace on
// Node's and Qt's sockets, and from Node's admin namespace on ours.
#include "nodeprocess.h"
#include "redistesthelpers.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/engineclient.h>
#include <SocketIo/instrumentation.h>
#include <SocketIo/namespace.h>
#include <SocketIo/redisadapter.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QHostAddress>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::NodeProcess;
using SocketIo::Test::RedisServer;
using SocketIo::Test::serverCountOf;

namespace {

struct QtNode
{
    std::unique_ptr<SocketIo::RedisConnection> redis;
    std::unique_ptr<SocketIo::Server> io;
    std::unique_ptr<SocketIo::Instrumentation> admin;
};

/*! One of our clients on one namespace, recording what it receives. */
struct TestClient
{
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    QList<SocketIo::Message> events;

    /*! The first event \a name whose arguments satisfy \a predicate (an invalid Message if none). */
    SocketIo::Message find(const QString &name,
                           const std::function<bool(const QCborArray &)> &predicate = {}) const
    {
        for (const SocketIo::Message &m : events) {
            if (m.event() == name && (!predicate || predicate(m.args())))
                return m;
        }
        return SocketIo::Message();
    }
    bool has(const QString &name, const std::function<bool(const QCborArray &)> &predicate = {}) const
    {
        return find(name, predicate).isValid();
    }
};

bool isIsoTimestamp(const QCborValue &v)
{
    static const QRegularExpression re(u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"_s);
    return v.isString() && re.match(v.toString()).hasMatch();
}

/*! The entry of \a id on namespace \a nsp in an all_sockets list. */
QCborMap socketEntry(const QCborArray &sockets, const QString &nsp, const QString &id)
{
    for (const QCborValue &v : sockets) {
        const QCborMap s = v.toMap();
        if (s.value(u"nsp"_s).toString() == nsp && s.value(u"id"_s).toString() == id)
            return s;
    }
    return QCborMap();
}

} // namespace

class tst_RedisAdmin : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void serverStatsOfEveryNodeReachOneAdmin();
    void allSocketsListsTheSocketsOfEveryNode();
    void socketEventsOfOtherNodesAreReported();
    void qtAdminCommandsActOnSocketsOfOtherNodes();
    void qtAdminCommandsReachANamespaceOnlyAnotherNodeHas();
    void nodeAdminSeesAndCommandsQtSockets();

private:
    bool startQtNode(QtNode &node, const QString &serverId);
    /*! Connects with one transport only (websocket, or polling when \a polling), so that the
        transport the admin events report cannot change under the test. */
    bool connectClient(TestClient &client, quint16 port, const QString &nsp, const QCborMap &auth,
                       bool polling = false);
    QString clientIdOf(const TestClient &client) const
    {
        return client.client->engine() ? client.client->engine()->sessionId().left(12) : QString();
    }

    RedisServer m_redis;
    NodeProcess m_node;
    quint16 m_nodePort = 0;
    QtNode m_a;
    QtNode m_b;
    TestClient m_clientA;   // "/" on A
    TestClient m_clientB;   // "/" on B
    TestClient m_clientN;   // "/" on the Node server
    TestClient m_admin;     // "/admin" on A
};

bool tst_RedisAdmin::startQtNode(QtNode &node, const QString &serverId)
{
    SocketIo::RedisAdapterOptions redisOptions;
    if (!redisOptions.setUrl(QUrl(m_redis.url())))
        return false;
    redisOptions.requestsTimeout = 3s;
    node.redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
    SocketIo::ServerOptions options;
    options.adapter = node.redis->adapterFactory();
    node.io = std::make_unique<SocketIo::Server>(options);
    SocketIo::AdminOptions adminOptions;
    adminOptions.serverId = serverId;
    adminOptions.statsInterval = 500ms;
    node.admin = std::make_unique<SocketIo::Instrumentation>(node.io.get(), adminOptions);
    if (!node.admin->isValid())
        return false;
    connect(node.io.get(), &SocketIo::Server::connection, node.io.get(), [serverId](SocketIo::Socket *socket) {
        const QCborMap auth = socket->handshake().auth;
        QCborMap data = socket->data().toMap();
        data.insert(u"node"_s, serverId);
        data.insert(u"user"_s, auth.value(u"user"_s));
        socket->setData(data);
        if (auth.contains(u"room"_s))
            socket->join(auth.value(u"room"_s).toString());
    });
    node.io->of(QRegularExpression(u"^/dyn-\\d+$"_s));
    QSignalSpy connected(node.redis.get(), &SocketIo::RedisConnection::connected);
    if (!node.io->listen(QHostAddress::LocalHost, 0))
        return false;
    return node.redis->isConnected() || connected.wait(10000);
}

bool tst_RedisAdmin::connectClient(TestClient &client, quint16 port, const QString &nsp, const QCborMap &auth,
                                   bool polling)
{
    SocketIo::ClientOptions options;
    options.reconnection = false;
    options.polling = polling;
    options.websocket = !polling;
    client.client = std::make_unique<SocketIo::Client>(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = auth;
    client.socket = client.client->socket(nsp, socketOptions);
    TestClient *self = &client;
    connect(client.socket, &SocketIo::ClientSocket::eventReceived, this,
            [self](const SocketIo::Message &m) { self->events.append(m); });
    QSignalSpy connected(client.socket, &SocketIo::ClientSocket::connected);
    return client.socket->isConnected() || connected.wait(10000);
}

void tst_RedisAdmin::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    QVERIFY2(m_redis.start(), qPrintable(m_redis.output()));
    QVERIFY(m_node.start(u"redis-node-server.js"_s,
                         {u"--redis"_s, m_redis.url(), u"--name"_s, u"node-n"_s, u"--admin"_s, u"node-n"_s}));
    const QJsonObject listening = m_node.waitForEvent(u"listening"_s, 20000);
    QVERIFY2(!listening.isEmpty(), qPrintable(m_node.diagnostics()));
    m_nodePort = quint16(listening.value(u"port"_s).toInt());
    QVERIFY(startQtNode(m_a, u"qt-a"_s));
    QVERIFY(startQtNode(m_b, u"qt-b"_s));
    // every node serves "/" and "/admin" through Redis
    for (QtNode *node : {&m_a, &m_b}) {
        for (const QString &nsp : {u"/"_s, u"/admin"_s}) {
            SocketIo::Adapter *adapter = node->io->of(nsp)->adapter();
            QVERIFY(qobject_cast<SocketIo::RedisAdapter *>(adapter));
            QTRY_COMPARE_WITH_TIMEOUT(serverCountOf(adapter), 3, 10000);
        }
    }
    QVERIFY(connectClient(m_clientA, m_a.io->serverPort(), u"/"_s, {{u"user"_s, u"a"_s}}));
    QVERIFY(connectClient(m_clientB, m_b.io->serverPort(), u"/"_s, {{u"user"_s, u"b"_s}}, true));
    QVERIFY(connectClient(m_clientN, m_nodePort, u"/"_s, {{u"user"_s, u"n"_s}}));
    QVERIFY(!m_node.waitForEvent(u"connection"_s).isEmpty());
    QVERIFY(connectClient(m_admin, m_a.io->serverPort(), u"/admin"_s, {}));
}

void tst_RedisAdmin::cleanupTestCase()
{
    m_admin.client.reset();
    m_clientA.client.reset();
    m_clientB.client.reset();
    m_clientN.client.reset();
    for (QtNode *node : {&m_a, &m_b}) {
        node->admin.reset();
        node->io.reset();
        node->redis.reset();
    }
    m_node.kill();
    m_redis.stop();
}

void tst_RedisAdmin::serverStatsOfEveryNodeReachOneAdmin()
{
    const auto statsOf = [this](const QString &serverId) {
        return m_admin.find(u"server_stats"_s, [serverId](const QCborArray &args) {
            return args.at(0).toMap().value(u"serverId"_s).toString() == serverId;
        });
    };
    // Node's instrument() sends every 2000 ms
    QTRY_VERIFY_WITH_TIMEOUT(statsOf(u"qt-a"_s).isValid() && statsOf(u"qt-b"_s).isValid()
                                     && statsOf(u"node-n"_s).isValid(),
                             10000);
    for (const QString &serverId : {u"qt-a"_s, u"qt-b"_s, u"node-n"_s}) {
        // the latest one of that server, once its "/" client is counted
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"server_stats"_s, [serverId](const QCborArray &args) {
            const QCborMap stats = args.at(0).toMap();
            if (stats.value(u"serverId"_s).toString() != serverId)
                return false;
            for (const QCborValue &n : stats.value(u"namespaces"_s).toArray()) {
                if (n.toMap().value(u"name"_s).toString() == u"/"_s)
                    return n.toMap().value(u"socketsCount"_s).toInteger() == 1;
            }
            return false;
        }), 10000);
        const QCborMap stats = statsOf(serverId).args().at(0).toMap();
        QVERIFY(stats.value(u"pid"_s).isInteger());
        QVERIFY(stats.value(u"uptime"_s).isDouble() || stats.value(u"uptime"_s).isInteger());
        QVERIFY(stats.value(u"aggregatedEvents"_s).isArray());
    }
    // B's client is on polling: B counts it, relayed like everything else
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"server_stats"_s, [](const QCborArray &args) {
        const QCborMap stats = args.at(0).toMap();
        return stats.value(u"serverId"_s).toString() == u"qt-b"_s
            && stats.value(u"pollingClientsCount"_s).toInteger() == 1 && stats.value(u"clientsCount"_s).toInteger() == 1;
    }), 10000);
    const int pidA = int(statsOf(u"qt-a"_s).args().at(0).toMap().value(u"pid"_s).toInteger());
    const int pidN = int(statsOf(u"node-n"_s).args().at(0).toMap().value(u"pid"_s).toInteger());
    QCOMPARE(pidA, int(QCoreApplication::applicationPid()));
    QVERIFY(pidN != pidA);
}

void tst_RedisAdmin::allSocketsListsTheSocketsOfEveryNode()
{
    QTRY_VERIFY(m_admin.has(u"all_sockets"_s));
    const QCborArray sockets = m_admin.find(u"all_sockets"_s).args().at(0).toArray();
    const struct
    {
        TestClient *client;
        QString user;
        QString node;
    } expected[] = {{&m_clientA, u"a"_s, u"qt-a"_s}, {&m_clientB, u"b"_s, u"qt-b"_s}, {&m_clientN, u"n"_s, u"node-n"_s}};
    for (const auto &e : expected) {
        const QCborMap s = socketEntry(sockets, u"/"_s, e.client->socket->id());
        QVERIFY2(!s.isEmpty(), qPrintable(u"%1 missing from all_sockets: %2"_s.arg(e.user,
                                                                                   QCborValue(sockets).toDiagnosticNotation())));
        // clientId and transport come from data._admin, which is not shown
        QCOMPARE(s.value(u"clientId"_s).toString(), clientIdOf(*e.client));
        QCOMPARE(s.value(u"clientId"_s).toString().size(), 12);
        QCOMPARE(s.value(u"transport"_s).toString(), e.client == &m_clientB ? u"polling"_s : u"websocket"_s);
        const QCborMap data = s.value(u"data"_s).toMap();
        QVERIFY2(!data.contains(u"_admin"_s), qPrintable(QCborValue(data).toDiagnosticNotation()));
        QCOMPARE(data.value(u"user"_s).toString(), e.user);
        QCOMPARE(data.value(u"node"_s).toString(), e.node);
        QVERIFY(s.value(u"rooms"_s).toArray().contains(QCborValue(e.client->socket->id())));
        const QCborMap handshake = s.value(u"handshake"_s).toMap();
        QVERIFY(!handshake.contains(u"auth"_s));
        // the handshake made it through the fetchSockets answer of its node, whichever that is
        QVERIFY(handshake.value(u"address"_s).toString().contains(u"127.0.0.1"_s));
        QVERIFY(handshake.value(u"headers"_s).toMap().contains(u"host"_s));
        QCOMPARE(handshake.value(u"query"_s).toMap().value(u"EIO"_s).toString(), u"4"_s);
        QVERIFY(handshake.value(u"issued"_s).toInteger() > 1'600'000'000'000);
        QVERIFY(handshake.value(u"time"_s).toString().contains(u"GMT"_s));
        QVERIFY(handshake.value(u"url"_s).toString().startsWith(u"/socket.io/?EIO=4"_s));
        QVERIFY(handshake.value(u"secure"_s).isFalse());
        QVERIFY(handshake.value(u"xdomain"_s).isBool());
    }
    // and the admin socket itself
    QVERIFY(!socketEntry(sockets, u"/admin"_s, m_admin.socket->id()).isEmpty());
}

void tst_RedisAdmin::socketEventsOfOtherNodesAreReported()
{
    // new sockets on B and on the Node server, in room "blue"
    TestClient b2;
    TestClient n2;
    QVERIFY(connectClient(b2, m_b.io->serverPort(), u"/"_s, {{u"user"_s, u"b2"_s}, {u"room"_s, u"blue"_s}}));
    QVERIFY(connectClient(n2, m_nodePort, u"/"_s, {{u"user"_s, u"n2"_s}, {u"room"_s, u"blue"_s}}));
    for (TestClient *c : {&b2, &n2}) {
        const QString id = c->socket->id();
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_connected"_s, [id](const QCborArray &args) {
            return args.at(0).toMap().value(u"id"_s).toString() == id;
        }), 10000);
        const QCborArray connected = m_admin.find(u"socket_connected"_s, [id](const QCborArray &args) {
            return args.at(0).toMap().value(u"id"_s).toString() == id;
        }).args();
        const QCborMap s = connected.at(0).toMap();
        QCOMPARE(s.value(u"nsp"_s).toString(), u"/"_s);
        QCOMPARE(s.value(u"clientId"_s).toString(), clientIdOf(*c));
        QVERIFY(!s.value(u"data"_s).toMap().contains(u"_admin"_s));
        QVERIFY2(isIsoTimestamp(connected.at(1)), qPrintable(connected.at(1).toDiagnosticNotation()));
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"room_joined"_s, [id](const QCborArray &args) {
            return args.at(0).toString() == u"/"_s && args.at(1).toString() == u"blue"_s
                && args.at(2).toString() == id && isIsoTimestamp(args.at(3));
        }), 10000);
        // an event sent by the client, reported by the node it lives on
        QVERIFY(c->socket->emitEvent(u"hello"_s, {1, u"two"_s}));
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"event_received"_s, [id](const QCborArray &args) {
            return args.at(0).toString() == u"/"_s && args.at(1).toString() == id
                && args.at(2).toArray() == QCborArray{u"hello"_s, 1, u"two"_s} && isIsoTimestamp(args.at(3));
        }), 10000);
    }
    // a dynamic namespace created on B after the instrumentation: instrumented there, reported here
    TestClient dyn;
    QVERIFY(connectClient(dyn, m_b.io->serverPort(), u"/dyn-7"_s, {{u"user"_s, u"dyn"_s}}));
    const QString dynId = dyn.socket->id();
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_connected"_s, [dynId](const QCborArray &args) {
        return args.at(0).toMap().value(u"id"_s).toString() == dynId
            && args.at(0).toMap().value(u"nsp"_s).toString() == u"/dyn-7"_s;
    }), 10000);
    QVERIFY(dyn.socket->emitEvent(u"in-dyn"_s));
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"event_received"_s, [dynId](const QCborArray &args) {
        return args.at(0).toString() == u"/dyn-7"_s && args.at(1).toString() == dynId
            && args.at(2).toArray() == QCborArray{u"in-dyn"_s};
    }), 10000);

    // and their disconnection
    const QString b2Id = b2.socket->id();
    const QString n2Id = n2.socket->id();
    b2.client.reset();
    n2.client.reset();
    for (const QString &id : {b2Id, n2Id}) {
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_disconnected"_s, [id](const QCborArray &args) {
            return args.at(0).toString() == u"/"_s && args.at(1).toString() == id && args.at(2).isString()
                && isIsoTimestamp(args.at(3));
        }), 10000);
    }
}

void tst_RedisAdmin::qtAdminCommandsActOnSocketsOfOtherNodes()
{
    const QString idB = m_clientB.socket->id();
    const QString idN = m_clientN.socket->id();
    // join with a socket filter: the socket on the Node server, then the one on B
    QVERIFY(m_admin.socket->emitEvent(u"join"_s, {u"/"_s, u"vip"_s, idN}));
    const QJsonObject joined = m_node.waitForLine([idN](const QJsonObject &l) {
        return l.value(u"event"_s) == u"join-room"_s && l.value(u"room"_s) == u"vip"_s && l.value(u"id"_s) == idN;
    });
    QVERIFY2(!joined.isEmpty(), qPrintable(m_node.diagnostics()));
    QVERIFY(m_admin.socket->emitEvent(u"join"_s, {u"/"_s, u"vip"_s, idB}));
    QTRY_VERIFY(m_b.io->of(u"/"_s)->socket(idB) && m_b.io->of(u"/"_s)->socket(idB)->rooms().contains(u"vip"_s));
    for (const QString &id : {idN, idB}) {
        QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"room_joined"_s, [id](const QCborArray &args) {
            return args.at(1).toString() == u"vip"_s && args.at(2).toString() == id;
        }), 10000);
    }
    // only those two: A's socket did not join
    QVERIFY(!m_a.io->of(u"/"_s)->socket(m_clientA.socket->id())->rooms().contains(u"vip"_s));

    // leave with a socket filter
    QVERIFY(m_admin.socket->emitEvent(u"leave"_s, {u"/"_s, u"vip"_s, idB}));
    QTRY_VERIFY(!m_b.io->of(u"/"_s)->socket(idB)->rooms().contains(u"vip"_s));
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"room_left"_s, [idB](const QCborArray &args) {
        return args.at(1).toString() == u"vip"_s && args.at(2).toString() == idB;
    }), 10000);

    // emit with a socket filter: to the socket on the Node server only (the others get a marker
    // sent after it through the same channel)
    QVERIFY(m_admin.socket->emitEvent(u"emit"_s, {u"/"_s, idN, u"from-admin"_s, 7}));
    QTRY_VERIFY(m_clientN.has(u"from-admin"_s, [](const QCborArray &args) { return args == QCborArray{7}; }));
    QVERIFY(m_admin.socket->emitEvent(u"emit"_s, {u"/"_s, QCborValue(nullptr), u"admin-marker"_s}));
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN})
        QTRY_VERIFY(c->has(u"admin-marker"_s));
    QVERIFY(!m_clientA.has(u"from-admin"_s));
    QVERIFY(!m_clientB.has(u"from-admin"_s));

    // _disconnect with a socket filter, a socket on B: a fresh one, the suite's clients stay
    TestClient victim;
    QVERIFY(connectClient(victim, m_b.io->serverPort(), u"/"_s, {{u"user"_s, u"victim"_s}}));
    const QString victimId = victim.socket->id();
    QSignalSpy victimGone(victim.socket, &SocketIo::ClientSocket::disconnected);
    QVERIFY(m_admin.socket->emitEvent(u"_disconnect"_s, {u"/"_s, false, victimId}));
    QTRY_COMPARE(victimGone.size(), 1);
    QCOMPARE(victimGone.at(0).at(0).value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_disconnected"_s, [victimId](const QCborArray &args) {
        return args.at(1).toString() == victimId && args.at(2).toString() == u"server namespace disconnect"_s;
    }), 10000);

    // and a socket on the Node server
    TestClient nodeVictim;
    QVERIFY(connectClient(nodeVictim, m_nodePort, u"/"_s, {{u"user"_s, u"node-victim"_s}}));
    const QString nodeVictimId = nodeVictim.socket->id();
    QSignalSpy nodeVictimGone(nodeVictim.socket, &SocketIo::ClientSocket::disconnected);
    QVERIFY(m_admin.socket->emitEvent(u"_disconnect"_s, {u"/"_s, false, nodeVictimId}));
    QTRY_COMPARE(nodeVictimGone.size(), 1);
    QCOMPARE(nodeVictimGone.at(0).at(0).value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_disconnected"_s, [nodeVictimId](const QCborArray &args) {
        return args.at(1).toString() == nodeVictimId && args.at(2).toString() == u"server namespace disconnect"_s;
    }), 10000);
    // nobody else went
    QVERIFY(m_clientA.socket->isConnected());
    QVERIFY(m_clientB.socket->isConnected());
    QVERIFY(m_clientN.socket->isConnected());
}

void tst_RedisAdmin::qtAdminCommandsReachANamespaceOnlyAnotherNodeHas()
{
    // a dynamic namespace a client opened on B: A does not have it, yet A's admin commands for it
    // reach B's socket (A takes io.of(nsp) as instrument() does, and its Redis adapter carries
    // the command; refusing 'no such namespace' on A would leave the socket alone)
    const QString nspName = u"/dyn-9"_s;
    TestClient dyn;
    QVERIFY(connectClient(dyn, m_b.io->serverPort(), nspName, {{u"user"_s, u"dyn9"_s}}));
    const QString id = dyn.socket->id();
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_connected"_s, [id, nspName](const QCborArray &args) {
        return args.at(0).toMap().value(u"id"_s).toString() == id
            && args.at(0).toMap().value(u"nsp"_s).toString() == nspName;
    }), 10000);
    QVERIFY(!m_a.io->findNamespace(nspName));
    QVERIFY(m_b.io->findNamespace(nspName));

    QVERIFY(m_admin.socket->emitEvent(u"join"_s, {nspName, u"dyn-room"_s, id}));
    QTRY_VERIFY_WITH_TIMEOUT(m_b.io->findNamespace(nspName)->socket(id)
                                 && m_b.io->findNamespace(nspName)->socket(id)->rooms().contains(u"dyn-room"_s),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"room_joined"_s, [id, nspName](const QCborArray &args) {
        return args.at(0).toString() == nspName && args.at(1).toString() == u"dyn-room"_s
            && args.at(2).toString() == id;
    }), 10000);

    QSignalSpy gone(dyn.socket, &SocketIo::ClientSocket::disconnected);
    QVERIFY(m_admin.socket->emitEvent(u"_disconnect"_s, {nspName, false, id}));
    QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 10000);
    QCOMPARE(gone.at(0).at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_disconnected"_s, [id, nspName](const QCborArray &args) {
        return args.at(0).toString() == nspName && args.at(1).toString() == id
            && args.at(2).toString() == u"server namespace disconnect"_s;
    }), 10000);
    QVERIFY(m_clientA.socket->isConnected());
    QVERIFY(m_clientB.socket->isConnected());
}

void tst_RedisAdmin::nodeAdminSeesAndCommandsQtSockets()
{
    // an admin client of the Node server (its instrument()) sees our servers and our sockets
    TestClient nodeAdmin;
    QVERIFY(connectClient(nodeAdmin, m_nodePort, u"/admin"_s, {}));
    QTRY_VERIFY_WITH_TIMEOUT(nodeAdmin.has(u"all_sockets"_s), 10000);
    const QCborArray sockets = nodeAdmin.find(u"all_sockets"_s).args().at(0).toArray();
    for (TestClient *c : {&m_clientA, &m_clientB, &m_clientN}) {
        const QCborMap s = socketEntry(sockets, u"/"_s, c->socket->id());
        QVERIFY2(!s.isEmpty(), qPrintable(QCborValue(sockets).toDiagnosticNotation()));
        QCOMPARE(s.value(u"clientId"_s).toString(), clientIdOf(*c));
        QCOMPARE(s.value(u"transport"_s).toString(), c == &m_clientB ? u"polling"_s : u"websocket"_s);
        QVERIFY(!s.value(u"data"_s).toMap().contains(u"_admin"_s));
    }
    // our admin socket on A is listed by Node too
    QVERIFY(!socketEntry(sockets, u"/admin"_s, m_admin.socket->id()).isEmpty());
    for (const QString &serverId : {u"qt-a"_s, u"qt-b"_s}) {
        QTRY_VERIFY_WITH_TIMEOUT(nodeAdmin.has(u"server_stats"_s, [serverId](const QCborArray &args) {
            return args.at(0).toMap().value(u"serverId"_s).toString() == serverId;
        }), 10000);
    }
    // Node's admin socket is reported to ours (socket_connected on Node's "/admin")
    const QString nodeAdminId = nodeAdmin.socket->id();
    QTRY_VERIFY_WITH_TIMEOUT(m_admin.has(u"socket_connected"_s, [nodeAdminId](const QCborArray &args) {
        return args.at(0).toMap().value(u"id"_s).toString() == nodeAdminId
            && args.at(0).toMap().value(u"nsp"_s).toString() == u"/admin"_s;
    }), 10000);

    // Node's join command on the socket living on A
    const QString idA = m_clientA.socket->id();
    QVERIFY(nodeAdmin.socket->emitEvent(u"join"_s, {u"/"_s, u"from-node-admin"_s, idA}));
    QTRY_VERIFY(m_a.io->of(u"/"_s)->socket(idA)->rooms().contains(u"from-node-admin"_s));
    QTRY_VERIFY_WITH_TIMEOUT(nodeAdmin.has(u"room_joined"_s, [idA](const QCborArray &args) {
        return args.at(1).toString() == u"from-node-admin"_s && args.at(2).toString() == idA;
    }), 10000);
    QVERIFY(!m_b.io->of(u"/"_s)->socket(m_clientB.socket->id())->rooms().contains(u"from-node-admin"_s));

    // and its _disconnect (close=true: the whole client) on a socket of B
    TestClient victim;
    QVERIFY(connectClient(victim, m_b.io->serverPort(), u"/"_s, {{u"user"_s, u"victim2"_s}}));
    const QString victimId = victim.socket->id();
    QSignalSpy victimGone(victim.socket, &SocketIo::ClientSocket::disconnected);
    QVERIFY(nodeAdmin.socket->emitEvent(u"_disconnect"_s, {u"/"_s, true, victimId}));
    QTRY_COMPARE(victimGone.size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(nodeAdmin.has(u"socket_disconnected"_s, [victimId](const QCborArray &args) {
        return args.at(1).toString() == victimId;
    }), 10000);
    QVERIFY(m_clientA.socket->isConnected());
    QVERIFY(m_clientB.socket->isConnected());
}

QTEST_GUILESS_MAIN(tst_RedisAdmin)
#include "tst_redis_admin.moc"

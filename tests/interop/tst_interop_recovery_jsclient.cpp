// Interop: connection state recovery between our Server and the real npm socket.io-client@4
// (tests/interop/js/client-scenario.js with the Manager's automatic reconnection). The connection
// is cut from either side; while the client is away the server emits to the socket, its rooms and
// everyone; the client reconnects on its own and must come back recovered, with the same id and
// every missed event exactly once, in order.

#include "nodeprocess.h"

#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using SocketIo::Test::NodeProcess;

class tst_InteropRecoveryJsClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void missedEventsArriveOnceInOrder_data();
    void missedEventsArriveOnceInOrder();
    void newSessionWhenRecoveryIsOff_data();
    void newSessionWhenRecoveryIsOff();
    void refusedRecoveryIsRecoveredOnTheNextTry_data();
    void refusedRecoveryIsRecoveredOnTheNextTry();

private:
    void startServer(bool recovery, bool skipMiddlewares = true);
    std::unique_ptr<NodeProcess> startClient();
    QString url() const { return QStringLiteral("http://localhost:%1").arg(m_server->serverPort()); }

    std::unique_ptr<SocketIo::Server> m_server;
    QList<QPointer<SocketIo::Socket>> m_sockets;   // sockets of "/" in connection order
};

#define WAIT_EVENT(client, name, var)                                                             \
    const QJsonObject var = (client)->waitForEvent(QStringLiteral(name), 15000);                   \
    QVERIFY2(!var.isEmpty(), qPrintable(u"no " name u" from the client: "_s + (client)->diagnostics()))

void tst_InteropRecoveryJsClient::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    qRegisterMetaType<SocketIo::DisconnectReason>();
}

void tst_InteropRecoveryJsClient::init()
{
    m_sockets.clear();
}

void tst_InteropRecoveryJsClient::cleanup()
{
    m_server.reset();
}

void tst_InteropRecoveryJsClient::startServer(bool recovery, bool skipMiddlewares)
{
    SocketIo::ServerOptions options;
    options.pingInterval = 1000ms;
    options.pingTimeout = 1000ms;
    options.connectionStateRecovery.enabled = recovery;
    options.connectionStateRecovery.skipMiddlewares = skipMiddlewares;
    m_server = std::make_unique<SocketIo::Server>(options);
    connect(m_server.get(), &SocketIo::Server::connection, this,
            [this](SocketIo::Socket *socket) { m_sockets.append(socket); });
    QVERIFY2(m_server->listen(QHostAddress::LocalHost, 0), qPrintable(m_server->errorString()));
}

std::unique_ptr<NodeProcess> tst_InteropRecoveryJsClient::startClient()
{
    QFETCH(QString, transports);
    auto client = std::make_unique<NodeProcess>();
    // the Manager reconnects by itself, quickly and without jitter
    const QJsonObject managerOptions{{u"reconnectionDelay"_s, 100}, {u"reconnectionDelayMax"_s, 100},
                                     {u"randomizationFactor"_s, 0}};
    const bool started = client->start(
            u"client-scenario.js"_s,
            {u"--url"_s, url(), u"--transports"_s, transports, u"--reconnection"_s, u"true"_s, u"--options"_s,
             QString::fromUtf8(QJsonDocument(managerOptions).toJson(QJsonDocument::Compact))});
    if (!started)
        qWarning("could not start the Node client: %s", qPrintable(client->diagnostics()));
    return client;
}

void tst_InteropRecoveryJsClient::missedEventsArriveOnceInOrder_data()
{
    QTest::addColumn<QString>("transports");
    QTest::addColumn<bool>("serverCuts");
    QTest::newRow("polling, client closes the engine") << u"polling"_s << false;
    QTest::newRow("polling, server aborts the session") << u"polling"_s << true;
    QTest::newRow("websocket, client closes the engine") << u"websocket"_s << false;
    QTest::newRow("websocket, server aborts the session") << u"websocket"_s << true;
}

void tst_InteropRecoveryJsClient::missedEventsArriveOnceInOrder()
{
    QFETCH(bool, serverCuts);
    startServer(true);
    auto client = startClient();
    WAIT_EVENT(client, "connect", first);
    QCOMPARE(first.value(u"recovered").toBool(), false);
    QTRY_COMPARE(m_sockets.size(), 1);
    QPointer<SocketIo::Socket> socket = m_sockets.first();
    const QString sid = socket->id();
    QCOMPARE(first.value(u"id").toString(), sid);
    socket->join(u"room"_s);
    socket->setData(QCborMap{{u"user"_s, u"ada"_s}});

    // received live, each with its offset as the last argument
    socket->emitEvent(u"e1"_s, {1});
    m_server->to(u"room"_s).emitEvent(u"e2"_s, {2});
    m_server->emitEvent(u"e3"_s, {3});
    const QJsonObject e3 = client->waitForReceived(u"e3"_s, 15000);
    QVERIFY2(!e3.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(e3.value(u"args").toArray().size(), 2);
    QVERIFY(e3.value(u"args").toArray().last().isString());

    // Emitted the moment the server sees the socket go, before the client can be back: what the
    // client must get on recovery (m*), and what is not for it (x*).
    QSignalSpy disconnected(socket.data(), &SocketIo::Socket::disconnected);
    connect(socket.data(), &SocketIo::Socket::disconnected, this, [this, sid] {
        m_server->to(u"room"_s).emitEvent(u"m1"_s, {4});
        m_server->to(u"other"_s).emitEvent(u"x1"_s);
        m_server->emitEvent(u"m2"_s, {QCborMap{{u"k"_s, u"v"_s}}});
        m_server->except(u"room"_s).emitEvent(u"x2"_s);
        m_server->to(sid).emitEvent(u"m3"_s, {QCborValue(QByteArray("\x00\xff", 2))});
        m_server->sockets()->asVolatile().emitEvent(u"x3"_s);
        m_server->to(u"room"_s).emitEvent(u"m4"_s, {5});
    });
    if (serverCuts)
        socket->conn()->abort();
    else
        client->send({{u"cmd"_s, u"close-engine"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 15000);
    WAIT_EVENT(client, "disconnect", gone);

    WAIT_EVENT(client, "connect", again);
    QVERIFY2(again.value(u"recovered").toBool(), qPrintable(client->diagnostics()));
    QCOMPARE(again.value(u"id").toString(), sid);
    QTRY_COMPARE(m_sockets.size(), 2);
    SocketIo::Socket *recovered = m_sockets.at(1);
    QVERIFY(recovered);
    QVERIFY(recovered->isRecovered());
    QCOMPARE(recovered->id(), sid);
    QCOMPARE(recovered->rooms(), (QSet<QString>{sid, u"room"_s}));
    QCOMPARE(recovered->data(), QCborValue(QCborMap{{u"user"_s, u"ada"_s}}));

    // live again: a marker after everything else
    recovered->emitEvent(u"after"_s);
    const QJsonObject after = client->waitForReceived(u"after"_s, 15000);
    QVERIFY2(!after.isEmpty(), qPrintable(client->diagnostics()));

    QStringList names;
    QSet<QString> offsets;
    QJsonObject m3;
    for (const QJsonObject &line : client->lines()) {
        if (line.value(u"event").toString() != u"event"_s)
            continue;
        const QString name = line.value(u"name").toString();
        names.append(name);
        const QJsonArray args = line.value(u"args").toArray();
        QVERIFY2(!args.isEmpty() && args.last().isString(), qPrintable(name));
        offsets.insert(args.last().toString());
        if (name == u"m3"_s)
            m3 = line;
    }
    QCOMPARE(names, (QStringList{u"e1"_s, u"e2"_s, u"e3"_s, u"m1"_s, u"m2"_s, u"m3"_s, u"m4"_s, u"after"_s}));
    QCOMPARE(offsets.size(), names.size());
    // binary survives the replay
    QCOMPARE(NodeProcess::fromBinary(m3.value(u"args").toArray().first()), QByteArray("\x00\xff", 2));
}

void tst_InteropRecoveryJsClient::newSessionWhenRecoveryIsOff_data()
{
    QTest::addColumn<QString>("transports");
    QTest::newRow("polling") << u"polling"_s;
    QTest::newRow("websocket") << u"websocket"_s;
}

void tst_InteropRecoveryJsClient::newSessionWhenRecoveryIsOff()
{
    startServer(false);
    auto client = startClient();
    WAIT_EVENT(client, "connect", first);
    QTRY_COMPARE(m_sockets.size(), 1);
    const QString sid = m_sockets.first()->id();
    m_sockets.first()->emitEvent(u"e1"_s, {1});
    const QJsonObject e1 = client->waitForReceived(u"e1"_s, 15000);
    QVERIFY2(!e1.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(e1.value(u"args").toArray(), QJsonArray{1});   // no offset without recovery

    client->send({{u"cmd"_s, u"close-engine"_s}});
    WAIT_EVENT(client, "disconnect", gone);
    WAIT_EVENT(client, "connect", again);
    QCOMPARE(again.value(u"recovered").toBool(), false);
    QVERIFY(again.value(u"id").toString() != sid);
}

void tst_InteropRecoveryJsClient::refusedRecoveryIsRecoveredOnTheNextTry_data()
{
    newSessionWhenRecoveryIsOff_data();
}

void tst_InteropRecoveryJsClient::refusedRecoveryIsRecoveredOnTheNextTry()
{
    // Middlewares run on recovery (skipMiddlewares off) and refuse the client's automatic
    // reconnection, an expired token say: socket.io-client keeps its pid and offset, and the
    // session is still there when the application connects the socket again (socket.io's
    // adapter keeps a session until it expires)
    startServer(true, false);
    bool refusing = false;
    m_server->use([&refusing](SocketIo::Socket *, const SocketIo::Next &next) {
        if (refusing)
            next(u"token expired"_s);
        else
            next();
    });
    auto client = startClient();
    WAIT_EVENT(client, "connect", first);
    QTRY_COMPARE(m_sockets.size(), 1);
    QPointer<SocketIo::Socket> socket = m_sockets.first();
    const QString sid = socket->id();
    socket->join(u"room"_s);
    m_server->to(u"room"_s).emitEvent(u"e1"_s, {1});
    QVERIFY2(!client->waitForReceived(u"e1"_s, 15000).isEmpty(), qPrintable(client->diagnostics()));

    refusing = true;
    connect(socket.data(), &SocketIo::Socket::disconnected, this,
            [this] { m_server->to(u"room"_s).emitEvent(u"missed"_s, {2}); });
    client->send({{u"cmd"_s, u"close-engine"_s}});
    WAIT_EVENT(client, "disconnect", gone);
    WAIT_EVENT(client, "connect_error", refused);
    QCOMPARE(refused.value(u"message").toString(), u"token expired"_s);

    refusing = false;
    client->send({{u"cmd"_s, u"connect"_s}});
    WAIT_EVENT(client, "connect", again);
    QVERIFY2(again.value(u"recovered").toBool(), qPrintable(client->diagnostics()));
    QCOMPARE(again.value(u"id").toString(), sid);
    const QJsonObject missed = client->waitForReceived(u"missed"_s, 15000);
    QVERIFY2(!missed.isEmpty(), qPrintable(client->diagnostics()));
    QCOMPARE(missed.value(u"args").toArray().first().toInt(), 2);
    QTRY_COMPARE(m_sockets.size(), 2);
    QVERIFY(m_sockets.at(1) && m_sockets.at(1)->isRecovered());
    QCOMPARE(m_sockets.at(1)->rooms(), (QSet<QString>{sid, u"room"_s}));
}

QTEST_MAIN(tst_InteropRecoveryJsClient)
#include "tst_interop_recovery_jsclient.moc"

// The dashboard's models against real instrumented servers: the npm socket.io@4.8.4 server with
// @socket.io/admin-ui ("node" rows) and our SocketIo::Server with SocketIo::Instrumentation ("qt"
// rows), fed by real clients (our SocketIo::Client).
#include "dashboardbackend.h"

#include "adminconnection.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace SocketIo::Dashboard;
using SocketIo::Test::BackendOptions;
using SocketIo::Test::DashboardBackend;
using SocketIo::Test::TestClient;
using State = AdminConnection::State;

namespace {

std::unique_ptr<AdminConnection> dashboard(const QUrl &url, const QString &user = QString(),
                                           const QString &password = QString())
{
    auto c = std::make_unique<AdminConnection>();
    c->setUrl(url);
    c->setUsername(user);
    c->setPassword(password);
    c->setReconnectionDelay(100);
    c->open();
    return c;
}

bool hasRow(KeyedListModel *model, const QString &key)
{
    return model->rowOfKey(key) >= 0;
}

QString socketKey(const QString &nsp, const QString &id)
{
    return SocketsModel::keyOf(nsp, id);
}

QString roomKey(const QString &nsp, const QString &room)
{
    return nsp + u'\n' + room;   // RoomsModel's key
}

int countLog(EventLogModel *log, const QString &type, const QString &name = QString())
{
    int n = 0;
    for (int i = 0; i < log->rowCount(); ++i) {
        const EventLogEntry e = log->entry(i);
        if (e.type == type && (name.isEmpty() || e.eventName == name))
            ++n;
    }
    return n;
}

} // namespace

class tst_DashboardModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<SocketIo::Message>();
        qRegisterMetaType<SocketIo::DisconnectReason>();
    }

    void chartSlotsAndWindow()
    {
        // the model alone: aggregatedEvents of one second go to their 10 s slot, the window
        // slides by removing old slots and appending new ones (no reset)
        ChartSeries charts;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 slot = now - now % ChartSeries::SlotMs;
        auto event = [](qint64 ts, const QString &type, int count) {
            return QJsonObject{{u"timestamp"_s, double(ts)}, {u"type"_s, type}, {u"count"_s, count}};
        };
        charts.addAggregatedEvents({event(slot + 1000, u"rawConnection"_s, 2), event(slot + 9000, u"rawConnection"_s, 3),
                                    event(slot - 5000, u"rawDisconnection"_s, 1), event(slot, u"bytesIn"_s, 100),
                                    event(slot - 11 * 60 * 1000, u"rawConnection"_s, 50)});   // too old: dropped
        // rows are found by their slot's timestamp (the clock may cross a slot boundary meanwhile)
        auto rowOf = [&charts](qint64 ts) {
            for (int r = 0; r < charts.rowCount(); ++r) {
                if (charts.data(charts.index(r), ChartSeries::TimestampRole).toLongLong() == ts)
                    return r;
            }
            return -1;
        };
        const int row = rowOf(slot);
        QVERIFY(row > 0);
        QCOMPARE(charts.rowCount(), ChartSeries::SlotCount);
        QCOMPARE(charts.value(row, u"connections"_s), 5.0);
        QCOMPARE(charts.value(row - 1, u"disconnections"_s), 1.0);
        QCOMPARE(charts.value(row, u"bytesIn"_s), 100.0);
        QCOMPARE(charts.totalConnections(), 5.0);
        QCOMPARE(charts.maxConnections(), 5.0);

        QSignalSpy removed(&charts, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&charts, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&charts, &QAbstractItemModel::modelReset);
        charts.advanceTo(slot + 3 * ChartSeries::SlotMs + 10);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(charts.rowCount(), ChartSeries::SlotCount);
        const int last = charts.rowCount() - 1;
        QCOMPARE(rowOf(slot), last - 3);   // the newest slot now ends the window
        QCOMPARE(charts.value(last - 3, u"connections"_s), 5.0);
        QCOMPARE(charts.value(last, u"connections"_s), 0.0);
        QCOMPARE(charts.data(charts.index(last), ChartSeries::TimestampRole).toLongLong(),
                 slot + 3 * ChartSeries::SlotMs);
        charts.advanceTo(slot + 20 * 60 * 1000);   // far ahead: everything has left the window
        QCOMPARE(charts.totalConnections(), 0.0);
        QCOMPARE(charts.rowCount(), ChartSeries::SlotCount);
    }

    void socketsRoomsAndClients_data() { DashboardBackend::addRows(); }
    void socketsRoomsAndClients()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::rowKind());
        QVERIFY(backend.start());
        TestClient alice(backend.url(), u"alice"_s, /*websocketOnly=*/true);
        QVERIFY(alice.waitConnected());

        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        SocketsModel *sockets = dash->sockets();
        // alice came with all_sockets, the dashboard's own admin socket too
        QTRY_VERIFY_WITH_TIMEOUT(hasRow(sockets, socketKey(u"/"_s, alice.id())), 10000);
        QTRY_VERIFY(hasRow(sockets, socketKey(u"/admin"_s, dash->adminSocketId())));
        QVariantMap a = sockets->socket(u"/"_s, alice.id());
        QCOMPARE(a.value(u"transport"_s).toString(), u"websocket"_s);
        QCOMPARE(a.value(u"clientId"_s).toString().size(), 12);
        QCOMPARE(a.value(u"rooms"_s).toStringList(), QStringList{alice.id()});
        QVERIFY(!a.value(u"address"_s).toString().isEmpty());
        QCOMPARE(a.value(u"data"_s).toMap().value(u"user"_s).toString(), u"alice"_s);
        QVERIFY(a.value(u"handshake"_s).toMap().contains(u"headers"_s));

        // a socket that connects later arrives with socket_connected, in a batch
        QSignalSpy inserted(sockets, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(sockets, &QAbstractItemModel::modelReset);
        TestClient bob(backend.url(), u"bob"_s, /*websocketOnly=*/false);
        QVERIFY(bob.waitConnected());
        QTRY_VERIFY_WITH_TIMEOUT(hasRow(sockets, socketKey(u"/"_s, bob.id())), 10000);
        QCOMPARE(reset.count(), 0);
        QVERIFY(inserted.count() >= 1);
        QCOMPARE(sockets->socket(u"/"_s, bob.id()).value(u"transport"_s).toString(), u"polling"_s);
        // socket.data set in the server's connection handler (socket_updated, or already in socket_connected)
        QTRY_COMPARE(sockets->socket(u"/"_s, bob.id()).value(u"data"_s).toMap().value(u"user"_s).toString(), u"bob"_s);

        // rooms: each socket's own room; clients: grouped by clientId
        RoomsModel *rooms = dash->rooms();
        QTRY_VERIFY(hasRow(rooms, roomKey(u"/"_s, alice.id())));
        QTRY_VERIFY(hasRow(rooms, roomKey(u"/"_s, bob.id())));
        QCOMPARE(rooms->members(u"/"_s, bob.id()), QStringList{bob.id()});
        QVERIFY(rooms->data(rooms->index(rooms->rowOfKey(roomKey(u"/"_s, bob.id()))), RoomsModel::IsPrivateRole).toBool());
        ClientsModel *clients = dash->clients();
        const QString bobClient = sockets->socket(u"/"_s, bob.id()).value(u"clientId"_s).toString();
        QTRY_VERIFY(hasRow(clients, bobClient));
        QCOMPARE(clients->sockets(bobClient), QStringList{bob.id()});

        // the socket table sorts and filters
        SocketsFilterModel *table = dash->socketsFilter();
        table->setFilterText(bob.id().left(8));
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->get(0).value(u"socketId"_s).toString(), bob.id());
        table->setFilterText(u"polling"_s);
        QCOMPARE(table->rowCount(), 1);
        table->setFilterText(QString());
        table->setNamespaceFilter(u"/"_s);
        QCOMPARE(table->rowCount(), 2);
        table->setSortField(u"socketId"_s);
        table->setDescending(true);
        QVERIFY(table->get(0).value(u"socketId"_s).toString() > table->get(1).value(u"socketId"_s).toString());

        // bob leaves: socket, its room and its client disappear, alice stays
        QSignalSpy removed(sockets, &QAbstractItemModel::rowsRemoved);
        bob.socket->close();
        QTRY_VERIFY_WITH_TIMEOUT(!hasRow(sockets, socketKey(u"/"_s, bob.id().isEmpty() ? u"?"_s : bob.id())), 10000);
        QTRY_VERIFY(!sockets->contains(u"/"_s, bobClient) && removed.count() >= 1);
        QTRY_VERIFY(!hasRow(clients, bobClient));
        QVERIFY(hasRow(sockets, socketKey(u"/"_s, alice.id())));
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(countLog(dash->eventLog(), u"connection"_s) >= 1, true);
        QTRY_VERIFY(countLog(dash->eventLog(), u"disconnection"_s) >= 1);
    }

    void serverStatsAndCharts_data() { DashboardBackend::addRows(); }
    void serverStatsAndCharts()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::rowKind());
        QVERIFY(backend.start());
        TestClient alice(backend.url(), u"alice"_s);
        QVERIFY(alice.waitConnected());
        alice.socket->emitEvent(u"message"_s, {u"hello"_s});
        QVERIFY(alice.waitReceived(u"message-back"_s));

        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        ServersModel *servers = dash->servers();
        QTRY_VERIFY_WITH_TIMEOUT(hasRow(servers, backend.serverId()), 10000);
        const QVariantMap s = servers->get(servers->rowOfKey(backend.serverId()));
        QVERIFY(s.value(u"healthy"_s).toBool());
        QVERIFY(!s.value(u"hostname"_s).toString().isEmpty());
        QVERIFY(s.value(u"pid"_s).toInt() > 0);
        QVERIFY(s.value(u"uptime"_s).toDouble() > 0);
        QTRY_VERIFY(servers->totalClients() >= 2);   // alice and the dashboard
        QCOMPARE(servers->healthyCount(), 1);

        NamespacesModel *nsps = dash->namespaces();
        QTRY_VERIFY(nsps->socketsCount(u"/"_s) == 1 && nsps->socketsCount(u"/admin"_s) == 1);

        // aggregated events land in the 10 s slots: alice's connection and traffic, the
        // dashboard's own connection (they may arrive over several server_stats)
        ChartSeries *charts = dash->charts();
        QCOMPARE(charts->rowCount(), ChartSeries::SlotCount);
        QTRY_VERIFY_WITH_TIMEOUT(charts->totalConnections() >= 2, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(charts->totalBytesIn() > 0 && charts->totalBytesOut() > 0, 10000);
        const int last = charts->rowCount() - 1;
        double recent = 0;
        for (int i = last - 2; i <= last; ++i)
            recent += charts->value(i, u"connections"_s);
        QVERIFY2(recent >= 1, "the connections are in the newest slots");
        QCOMPARE(charts->data(charts->index(last), ChartSeries::TimestampRole).toLongLong() % ChartSeries::SlotMs, 0);

        // alice disconnects: a rawDisconnection follows
        alice.socket->close();
        QTRY_VERIFY_WITH_TIMEOUT(charts->totalDisconnections() >= 1, 10000);
    }

    void eventLog_data() { DashboardBackend::addRows(); }
    void eventLog()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::rowKind());
        QVERIFY(backend.start());
        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        TestClient alice(backend.url(), u"alice"_s);
        QVERIFY(alice.waitConnected());
        EventLogModel *log = dash->eventLog();
        QSignalSpy inserted(log, &QAbstractItemModel::rowsInserted);

        alice.socket->emitEvent(u"message"_s, {u"hello"_s, 42});
        QVERIFY(alice.waitReceived(u"message-back"_s));
        QTRY_VERIFY_WITH_TIMEOUT(countLog(log, u"event_received"_s, u"message"_s) == 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(countLog(log, u"event_sent"_s, u"message-back"_s) == 1, 10000);
        for (int i = 0; i < log->rowCount(); ++i) {
            const EventLogEntry e = log->entry(i);
            if (e.type == u"event_received"_s) {
                QCOMPARE(e.direction, u"in"_s);
                QCOMPARE(e.nsp, u"/"_s);
                QCOMPARE(e.socketId, alice.id());
                QCOMPARE(e.args, u"[\"hello\",42]"_s);
            }
        }
        QVERIFY(countLog(log, u"connection"_s) >= 1);

        // filters
        EventLogFilterModel *view = dash->eventLogFilter();
        view->setDirection(u"in"_s);
        QCOMPARE(view->rowCount(), 1);
        view->setDirection(u"out"_s);
        QCOMPARE(view->rowCount(), 1);
        view->setDirection(QString());
        view->setEventFilter(u"message-back"_s);
        QCOMPARE(view->rowCount(), 1);
        view->setEventFilter(QString());
        view->setSocketFilter(alice.id());
        QVERIFY(view->rowCount() >= 3);   // connection, received, sent
        view->setSocketFilter(QString());
        view->setSearchText(u"HELLO"_s);
        QCOMPARE(view->rowCount(), 2);    // the arguments of both events
        view->setNamespaceFilter(u"/nope"_s);
        QCOMPARE(view->rowCount(), 0);
        view->setNamespaceFilter(u"/"_s);
        QCOMPARE(view->rowCount(), 2);

        // export (the filtered view, and everything)
        QTemporaryDir dir;
        const QString file = dir.filePath(u"events.json"_s);
        QVERIFY(view->exportToFile(file));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray exported = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(exported.size(), 2);
        QCOMPARE(exported.at(0).toObject().value(u"args"_s).toArray().at(0).toString(), u"hello"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"cannot export the event log"_s));
        QVERIFY(!view->exportToFile(dir.filePath(u"missing/dir/x.json"_s)));
        view->setSearchText(QString());
        view->setNamespaceFilter(QString());

        // pause: nothing moves, the events wait; resume inserts them
        log->setPaused(true);
        const int before = log->rowCount();
        alice.socket->emitEvent(u"message"_s, {u"while paused"_s});
        QTRY_VERIFY_WITH_TIMEOUT(log->pendingCount() >= 2, 10000);
        QCOMPARE(log->rowCount(), before);
        log->setPaused(false);
        QTRY_COMPARE(log->rowCount(), before + 2);
        QCOMPARE(log->pendingCount(), 0);
        QVERIFY(inserted.count() < log->rowCount());   // batched

        // the ring buffer keeps the newest capacity() entries
        log->setCapacity(3);
        QCOMPARE(log->rowCount(), 3);
        QCOMPARE(log->entry(2).args, u"[\"while paused\"]"_s);
    }

    void actions_data() { DashboardBackend::addRows(); }
    void actions()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::rowKind());
        QVERIFY(backend.start());
        TestClient alice(backend.url(), u"alice"_s);
        TestClient bob(backend.url(), u"bob"_s);
        QVERIFY(alice.waitConnected());
        QVERIFY(bob.waitConnected());
        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        QTRY_VERIFY(dash->canJoin() && dash->canLeave() && dash->canDisconnect() && dash->canEmit());
        QVERIFY(!dash->isReadonly());
        QVERIFY(dash->isDevelopmentMode());
        QTRY_VERIFY_WITH_TIMEOUT(dash->sockets()->contains(u"/"_s, alice.id()) && dash->sockets()->contains(u"/"_s, bob.id()), 10000);

        // join: takes effect on the server, and the models follow (room_joined)
        QVERIFY(dash->joinRoom(u"/"_s, u"lobby"_s, alice.id()));
        QVERIFY(dash->joinRoom(u"/"_s, u"lobby"_s, bob.id()));
        QTRY_VERIFY_WITH_TIMEOUT(hasRow(dash->rooms(), roomKey(u"/"_s, u"lobby"_s))
                                 && dash->rooms()->members(u"/"_s, u"lobby"_s).size() == 2, 10000);
        QStringList expected{alice.id(), u"lobby"_s};
        expected.sort();   // serverRooms() is sorted
        QCOMPARE(backend.serverRooms(u"/"_s, alice.id()), expected);
        QVERIFY(dash->sockets()->rooms(u"/"_s, alice.id()).contains(u"lobby"_s));

        // emit to one socket, then to a room
        QVERIFY(dash->emitEvent(u"/"_s, alice.id(), u"notice"_s, {u"for alice"_s, 1}));
        QVERIFY(alice.waitReceived(u"notice"_s));
        QVERIFY(!bob.waitReceived(u"notice"_s, 300));
        QVERIFY(dash->emitEvent(u"/"_s, u"lobby"_s, u"news"_s, {u"for the lobby"_s}));
        QVERIFY(alice.waitReceived(u"news"_s));
        QVERIFY(bob.waitReceived(u"news"_s));
        for (const auto &call : std::as_const(*alice.received)) {
            const auto m = call.at(0).value<SocketIo::Message>();
            if (m.event() == u"notice"_s)
                QCOMPARE(m.args(), (QCborArray{u"for alice"_s, 1}));
        }

        // leave (one socket), then clear the room (everyone)
        QVERIFY(dash->leaveRoom(u"/"_s, u"lobby"_s, alice.id()));
        QTRY_COMPARE_WITH_TIMEOUT(dash->rooms()->members(u"/"_s, u"lobby"_s), QStringList{bob.id()}, 10000);
        QCOMPARE(backend.serverRooms(u"/"_s, alice.id()), QStringList{alice.id()});
        QVERIFY(dash->leaveRoom(u"/"_s, u"lobby"_s));
        QTRY_VERIFY_WITH_TIMEOUT(!hasRow(dash->rooms(), roomKey(u"/"_s, u"lobby"_s)), 10000);
        QCOMPARE(backend.serverRooms(u"/"_s, bob.id()), QStringList{bob.id()});

        // disconnect one socket: the client is told, the model drops it
        const QString aliceId = alice.id();
        QVERIFY(dash->disconnectSockets(u"/"_s, aliceId, false));
        QTRY_COMPARE_WITH_TIMEOUT(alice.disconnected->count(), 1, 10000);
        QCOMPARE(alice.disconnected->at(0).at(0).value<SocketIo::DisconnectReason>(),
                 SocketIo::DisconnectReason::IoServerDisconnect);
        QTRY_VERIFY_WITH_TIMEOUT(!dash->sockets()->contains(u"/"_s, aliceId), 10000);
        QVERIFY(dash->sockets()->contains(u"/"_s, bob.id()));
        QTRY_VERIFY(countLog(dash->eventLog(), u"disconnection"_s, u"server namespace disconnect"_s) == 1);
    }

    void readonlyServer_data() { DashboardBackend::addRows(); }
    void readonlyServer()
    {
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.readonly = true;
        DashboardBackend backend(DashboardBackend::rowKind(), o);
        QVERIFY(backend.start());
        TestClient alice(backend.url(), u"alice"_s);
        QVERIFY(alice.waitConnected());
        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        QTRY_VERIFY(!dash->supportedFeatures().isEmpty());
        QCOMPARE(dash->supportedFeatures(), (QStringList{u"AGGREGATED_EVENTS"_s, u"ALL_EVENTS"_s}));
        QVERIFY(dash->isReadonly());
        QVERIFY(dash->isDevelopmentMode());
        QVERIFY(!dash->canJoin() && !dash->canLeave() && !dash->canDisconnect() && !dash->canEmit());
        QTRY_VERIFY_WITH_TIMEOUT(dash->sockets()->contains(u"/"_s, alice.id()), 10000);
        // actions are refused locally, nothing is sent
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"does not support JOIN"_s));
        QVERIFY(!dash->joinRoom(u"/"_s, u"lobby"_s, alice.id()));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"does not support EMIT"_s));
        QVERIFY(!dash->emitEvent(u"/"_s, alice.id(), u"x"_s));
        QCOMPARE(backend.serverRooms(u"/"_s, alice.id()), QStringList{alice.id()});
    }

    void productionServer_data() { DashboardBackend::addRows(); }
    void productionServer()
    {
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.production = true;
        DashboardBackend backend(DashboardBackend::rowKind(), o);
        QVERIFY(backend.start());
        TestClient alice(backend.url(), u"alice"_s);
        QVERIFY(alice.waitConnected());
        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        QTRY_VERIFY(!dash->supportedFeatures().isEmpty());
        QVERIFY(!dash->isDevelopmentMode());
        QVERIFY(!dash->isReadonly());
        QTRY_VERIFY_WITH_TIMEOUT(hasRow(dash->servers(), backend.serverId()), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(dash->charts()->totalConnections() >= 1, 10000);
        QTRY_COMPARE(dash->namespaces()->socketsCount(u"/"_s), 1);
        alice.socket->emitEvent(u"message"_s, {u"hello"_s});
        QVERIFY(alice.waitReceived(u"message-back"_s));
        // stats only: no sockets, no per-event log, and no error
        dash->servers()->flush();
        QCOMPARE(dash->sockets()->rowCount(), 0);
        QCOMPARE(dash->eventLog()->rowCount() + dash->eventLog()->pendingCount(), 0);
        QCOMPARE(dash->state(), State::Connected);
        QVERIFY(dash->errorString().isEmpty());
    }

    void credentials_data() { DashboardBackend::addRows(); }
    void credentials()
    {
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.basicAuth = true;
        DashboardBackend backend(DashboardBackend::rowKind(), o);
        QVERIFY(backend.start());

        // wrong password: the login error, and no retry loop
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"refused: \"invalid credentials\""_s));
        auto wrong = dashboard(backend.url(), u"admin"_s, u"nope"_s);
        QSignalSpy failed(wrong.get(), &AdminConnection::loginFailed);
        QTRY_COMPARE_WITH_TIMEOUT(wrong->state(), State::Failed, 10000);
        QVERIFY(wrong->invalidCredentials());
        QCOMPARE(wrong->errorString(), u"invalid credentials"_s);
        QCOMPARE(failed.count(), 1);
        QVERIFY(wrong->client() == nullptr || wrong->client()->state() == SocketIo::Client::State::Closed);

        // no credentials at all: refused the same way
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"refused: \"invalid credentials\""_s));
        auto none = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(none->state(), State::Failed, 10000);
        QVERIFY(none->invalidCredentials());

        // the right password: connected, a session id arrives
        auto right = dashboard(backend.url(), u"admin"_s, u"changeit"_s);
        QSignalSpy session(right.get(), &AdminConnection::sessionIdChanged);
        QTRY_COMPARE_WITH_TIMEOUT(right->state(), State::Connected, 10000);
        QTRY_COMPARE(session.count(), 1);
        const QString sessionId = right->sessionId();
        QCOMPARE(sessionId.size(), 16);
        QVERIFY(!right->invalidCredentials());

        // the session id alone logs in (what a restart of the dashboard does)
        auto resumed = std::make_unique<AdminConnection>();
        resumed->setUrl(backend.url());
        resumed->setUsername(u"admin"_s);
        resumed->setSessionId(sessionId);
        resumed->open();
        QTRY_COMPARE_WITH_TIMEOUT(resumed->state(), State::Connected, 10000);
        QCOMPARE(resumed->sessionId(), sessionId);

        // an unknown session id with the password: the session is dropped, the password used
        auto stale = std::make_unique<AdminConnection>();
        stale->setUrl(backend.url());
        stale->setUsername(u"admin"_s);
        stale->setPassword(u"changeit"_s);
        stale->setSessionId(u"0123456789abcdef"_s);
        stale->open();
        QTRY_COMPARE_WITH_TIMEOUT(stale->state(), State::Connected, 10000);
        QTRY_VERIFY(stale->sessionId() != u"0123456789abcdef"_s && stale->sessionId().size() == 16);
    }

    void closeLeavesTheAdminNamespaceOverPolling()
    {
        // the official UI's socket.disconnect(): a DISCONNECT the server receives before the
        // engine closes, also over polling where it is a POST the closing client must let finish
        DashboardBackend backend(DashboardBackend::Kind::Qt);
        QVERIFY(backend.start());
        SocketIo::EngineOptions engineOptions = backend.server()->engine()->options();
        engineOptions.allowUpgrades = false;   // the dashboard stays on polling
        backend.server()->engine()->setOptions(engineOptions);
        QList<SocketIo::DisconnectReason> reasons;
        QString transport;
        QObject::connect(backend.server()->of(u"/admin"_s), &SocketIo::Namespace::connection, backend.server(),
                         [&](SocketIo::Socket *s) {
            transport = s->conn()->transportName();
            QObject::connect(s, &SocketIo::Socket::disconnected, backend.server(),
                             [&](SocketIo::DisconnectReason reason) { reasons.append(reason); });
        });

        auto dash = dashboard(backend.url());
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        QCOMPARE(transport, u"polling"_s);
        dash->close();
        QCOMPARE(dash->state(), State::Disconnected);
        QTRY_COMPARE(reasons, QList<SocketIo::DisconnectReason>{SocketIo::DisconnectReason::ClientNamespaceDisconnect});
        QTRY_COMPARE(backend.server()->engine()->clientsCount(), 0);
        QCOMPARE(reasons.size(), 1);
    }

    void serverVanishesAndReturns_data() { DashboardBackend::addRows(); }
    void serverVanishesAndReturns()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::rowKind());
        QVERIFY(backend.start());
        auto dash = dashboard(backend.url());
        dash->servers()->setHealthyThreshold(1500);
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(dash->servers()->isHealthy(backend.serverId()), 10000);
        const QString firstAdminId = dash->adminSocketId();
        QTRY_VERIFY_WITH_TIMEOUT(dash->servers()->totalClients() >= 1, 10000);   // the dashboard
        QVERIFY(!dash->servers()->namespaceCounts().isEmpty());
        QVERIFY(!dash->servers()->removeServer(backend.serverId()));   // healthy: kept

        backend.stop();   // killed (node) / destroyed (qt)
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Reconnecting, 10000);
        QVERIFY(!dash->errorString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!dash->servers()->isHealthy(backend.serverId()), 10000);
        QCOMPARE(dash->servers()->healthyCount(), 0);
        // its last statistics no longer count, and it can be forgotten (the Servers page's
        // "Remove", as the official UI's)
        QCOMPARE(dash->servers()->totalClients(), 0);
        QVERIFY(dash->servers()->namespaceCounts().isEmpty());
        QVERIFY(dash->servers()->removeServer(backend.serverId()));
        QVERIFY(!dash->servers()->contains(backend.serverId()));
        QTRY_COMPARE(dash->servers()->count(), 0);

        QVERIFY(backend.start());   // same port
        QTRY_COMPARE_WITH_TIMEOUT(dash->state(), State::Connected, 15000);
        QVERIFY(dash->errorString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(dash->servers()->isHealthy(backend.serverId()), 10000);
        // all_sockets of the new server replaced the old content
        QTRY_VERIFY_WITH_TIMEOUT(dash->sockets()->contains(u"/admin"_s, dash->adminSocketId()), 10000);
        QVERIFY(!dash->sockets()->contains(u"/admin"_s, firstAdminId));
    }
};

QTEST_MAIN(tst_DashboardModels)
#include "tst_dashboard_models.moc"

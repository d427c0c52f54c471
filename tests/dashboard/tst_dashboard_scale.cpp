// 10,000 sockets through the real protocol path: the npm socket.io server instrumented by
// @socket.io/admin-ui reports 10,000 real socket.io-client sockets (10 connections multiplexing
// 1,000 namespaces each), first one by one (socket_connected), then as one all_sockets. The
// models must hold them all, and apply them in batches: a handful of model signals, not one per
// socket.
#include "dashboardbackend.h"

#include "adminconnection.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;
using namespace SocketIo::Dashboard;
using SocketIo::Test::DashboardBackend;
using State = AdminConnection::State;

namespace {
constexpr int kNamespaces = 1000;
constexpr int kPerNamespace = 10;
constexpr int kSockets = kNamespaces * kPerNamespace;
} // namespace

class tst_DashboardScale : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tenThousandSockets()
    {
        SOCKETIO_REQUIRE_NODE();
        DashboardBackend backend(DashboardBackend::Kind::Node);
        QVERIFY(backend.start());

        AdminConnection dash;
        dash.setUrl(backend.url());
        dash.open();
        QTRY_COMPARE_WITH_TIMEOUT(dash.state(), State::Connected, 10000);
        SocketsModel *sockets = dash.sockets();
        QTRY_COMPARE_WITH_TIMEOUT(sockets->rowCount(), 1, 10000);   // the dashboard itself, on /admin

        QSignalSpy inserted(sockets, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(sockets, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(sockets, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(sockets, &QAbstractItemModel::modelReset);
        QSignalSpy roomsInserted(dash.rooms(), &QAbstractItemModel::rowsInserted);
        QSignalSpy processed(&dash, &AdminConnection::adminEventProcessed);
        QSignalSpy logInserted(dash.eventLog(), &QAbstractItemModel::rowsInserted);
        QSignalSpy logRemoved(dash.eventLog(), &QAbstractItemModel::rowsRemoved);

        QJsonArray namespaces;
        for (int i = 0; i < kNamespaces; ++i)
            namespaces.append(u"/n%1"_s.arg(i));
        backend.node()->send({{u"cmd"_s, u"spawn"_s}, {u"tag"_s, u"big"_s}, {u"count"_s, kPerNamespace},
                              {u"namespaces"_s, namespaces}, {u"perManager"_s, kNamespaces}});
        const QJsonObject spawned = backend.node()->waitForLine(
                [](const QJsonObject &o) { return o.value(u"event"_s) == u"spawned"_s; }, 120000);
        QVERIFY2(!spawned.isEmpty(), qPrintable(backend.node()->diagnostics()));
        const QJsonArray ids = spawned.value(u"ids"_s).toArray();
        QCOMPARE(ids.size(), kSockets);

        QTRY_COMPARE_WITH_TIMEOUT(sockets->rowCount(), kSockets + 1, 60000);
        // correctness: every spawned socket has its row, in its namespace
        for (const QJsonValue &v : ids) {
            const QJsonObject o = v.toObject();
            const QString key = SocketsModel::keyOf(o.value(u"nsp"_s).toString(), o.value(u"id"_s).toString());
            QVERIFY2(sockets->rowOfKey(key) >= 0, qPrintable(key));
        }
        QTRY_COMPARE_WITH_TIMEOUT(dash.rooms()->rowCount(), kSockets + 1, 30000);   // private rooms
        QTRY_COMPARE_WITH_TIMEOUT(dash.clients()->rowCount(), 10 + 1, 30000);       // 10 connections + us
        QCOMPARE(dash.clients()->data(dash.clients()->index(1), ClientsModel::SocketCountRole).toInt(), kNamespaces);

        // batching: >= 10,000 socket_connected became a few inserts, no reset
        int socketConnected = 0;
        for (const auto &call : std::as_const(processed))
            socketConnected += call.at(0).toString() == u"socket_connected"_s;
        QCOMPARE(socketConnected, kSockets);
        qInfo("%d socket_connected -> %d rowsInserted, %d dataChanged, %d rowsInserted on rooms",
              socketConnected, int(inserted.count()), int(changed.count()), int(roomsInserted.count()));
        QCOMPARE(reset.count(), 0);
        QVERIFY2(inserted.count() <= 200, "socket rows are inserted in batches");
        QVERIFY2(roomsInserted.count() <= 200, "room rows are inserted in batches");
        int insertedRows = 0;
        for (const auto &call : std::as_const(inserted))
            insertedRows += call.at(2).toInt() - call.at(1).toInt() + 1;
        QCOMPARE(insertedRows, kSockets);

        // the busy event log (a "connection" entry per socket) keeps its newest capacity() entries,
        // in batches
        EventLogModel *log = dash.eventLog();
        QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), log->capacity(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(log->pendingCount(), 0, 30000);
        QCOMPARE(log->entry(log->rowCount() - 1).type, u"connection"_s);
        for (int i = 1; i < log->rowCount(); ++i)
            QVERIFY(log->entry(i).seq > log->entry(i - 1).seq);
        qInfo("event log: %d rowsInserted, %d rowsRemoved for %d entries", int(logInserted.count()),
              int(logRemoved.count()), int(log->entry(log->rowCount() - 1).seq));
        QVERIFY2(logInserted.count() <= 200, "log entries are inserted in batches");

        // the table view over 10,000 rows filters and sorts correctly
        SocketsFilterModel *table = dash.socketsFilter();
        table->setNamespaceFilter(u"/n7"_s);
        QCOMPARE(table->rowCount(), kPerNamespace);
        table->setNamespaceFilter(QString());
        const QString probe = ids.at(4242).toObject().value(u"id"_s).toString();
        table->setFilterText(probe);
        QCOMPARE(table->rowCount(), 1);
        table->setFilterText(QString());
        table->setSortField(u"socketId"_s);
        QCOMPARE(table->rowCount(), kSockets + 1);
        for (int r = 1; r < 50; ++r)
            QVERIFY(table->get(r - 1).value(u"socketId"_s).toString() <= table->get(r).value(u"socketId"_s).toString());

        // a second dashboard gets the same 10,000 at once (all_sockets): one reset, same content
        AdminConnection late;
        late.setUrl(backend.url());
        QSignalSpy lateReset(late.sockets(), &QAbstractItemModel::modelReset);
        late.open();
        QTRY_COMPARE_WITH_TIMEOUT(late.state(), State::Connected, 10000);
        // +2: both admin sockets
        QTRY_COMPARE_WITH_TIMEOUT(late.sockets()->rowCount(), kSockets + 2, 60000);
        QCOMPARE(lateReset.count(), 1);
        QVERIFY(late.sockets()->rowOfKey(SocketsModel::keyOf(u"/n4"_s, ids.at(4).toObject().value(u"id"_s).toString())) >= 0);

        // everything disconnects: removals are batched too
        QTRY_COMPARE_WITH_TIMEOUT(sockets->rowCount(), kSockets + 2, 10000);   // the late dashboard
        removed.clear();
        reset.clear();
        backend.node()->send({{u"cmd"_s, u"close-clients"_s}, {u"tag"_s, u"end"_s}});
        QTRY_COMPARE_WITH_TIMEOUT(sockets->rowCount(), 2, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(dash.rooms()->rowCount(), 2, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(dash.clients()->rowCount(), 2, 30000);
        qInfo("%d socket_disconnected -> %d rowsRemoved, %d modelReset", kSockets, int(removed.count()),
              int(reset.count()));
        // removals scattered over the rows come as a reset per batch, contiguous ones as removals
        QVERIFY2(removed.count() + reset.count() <= 200, "socket rows are removed in batches");
        QTRY_COMPARE_WITH_TIMEOUT(late.sockets()->rowCount(), 2, 60000);
    }
};

QTEST_MAIN(tst_DashboardScale)
#include "tst_dashboard_scale.moc"

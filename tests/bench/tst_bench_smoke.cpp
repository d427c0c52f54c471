// A smoke run of every benchmark scenario with tiny sizes (bench-load --quick) against both bench
// servers, and of the WebSocket scenarios (connect, echo, fanout) against the floor servers
// (plain QtWebSockets, a minimal WebSocket on QTcpSocket, plain Node ws; docs/benchmarks.md
// "Floors"): each scenario completes, reports
// its cases with the server's CPU per operation and the load generator's CPU share, and loses no
// message. No timing assertions: speed is measured by
// scripts/bench.sh, never asserted.
#include "benchprocesses.h"

#include <QDir>
#include <QJsonValue>
#include <QTest>

using namespace SocketIo::Test;

class tst_BenchSmoke : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        SOCKETIO_REQUIRE_NODE();
        QVERIFY2(QFileInfo::exists(benchBinary(QStringLiteral("bench-load"))), "bench-load is not built");
        QVERIFY2(QFileInfo::exists(benchBinary(QStringLiteral("bench-server"))), "bench-server is not built");
        QVERIFY2(QFileInfo::exists(benchBinary(QStringLiteral("floor-server"))), "floor-server is not built");
    }

    void scenarioLosesNothing_data()
    {
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("cases");
        QTest::addColumn<QString>("cpuMetric");
        const QList<std::tuple<const char *, QStringList, const char *>> scenarios{
            {"connect", {QStringLiteral("connect")}, "server_cpu_us_per_conn"},
            {"fanout",
             {QStringLiteral("fanout-burst"), QStringLiteral("fanout-rate-2k"), QStringLiteral("fanout-rate-5k")},
             "server_cpu_us_per_delivery"},
            {"echo", {QStringLiteral("echo-closed"), QStringLiteral("echo-rate-1k")}, "server_cpu_us_per_ack"},
            {"polling", {QStringLiteral("polling")}, "server_cpu_us_per_delivery"},
            {"binary", {QStringLiteral("binary")}, "server_cpu_us_per_delivery"},
        };
        for (const char *server : {"ours", "node", "qt-floor", "qt-raw-floor", "ws-floor"}) {
            const bool floor = QByteArray(server).endsWith("-floor");
            for (const auto &[scenario, cases, cpu] : scenarios) {
                if (floor && (qstrcmp(scenario, "polling") == 0 || qstrcmp(scenario, "binary") == 0))
                    continue;   // the floors answer the WebSocket scenarios only (connect, fanout, echo)
                QTest::addRow("%s %s", scenario, server)
                        << QString::fromLatin1(server) << QString::fromLatin1(scenario) << cases
                        << QString::fromLatin1(cpu);
            }
        }
    }
    void scenarioLosesNothing()
    {
        QFETCH(QString, server);
        QFETCH(QString, scenario);
        QFETCH(QStringList, cases);
        QFETCH(QString, cpuMetric);
        BenchServer s;
        QVERIFY2(s.start(server), qPrintable(s.error()));
        const int fdsBefore = openFiles(s.pid());
        QVERIFY(fdsBefore > 0);
        const LoadRun run = runLoad({scenario, QStringLiteral("--quick"), QStringLiteral("--port"),
                                     QString::number(s.port()), QStringLiteral("--server-pid"),
                                     QString::number(s.pid()), QStringLiteral("--label"), server});
        QVERIFY2(run.finished && run.exitCode == 0, qPrintable(run.diagnostics()));
        const QList<QJsonObject> lines = run.jsonLines();
        QStringList seen;
        for (const QJsonObject &line : lines) {
            seen.append(line.value(QStringLiteral("case")).toString());
            QCOMPARE(line.value(QStringLiteral("label")).toString(), server);
            const QJsonObject metrics = line.value(QStringLiteral("metrics")).toObject();
            QVERIFY2(metrics.contains(QStringLiteral("lost")), qPrintable(run.diagnostics()));
            QCOMPARE(metrics.value(QStringLiteral("lost")).toDouble(), 0.0);
            QVERIFY2(metrics.contains(cpuMetric), qPrintable(run.diagnostics()));
            QVERIFY(metrics.value(cpuMetric).toDouble() >= 0);
            QVERIFY(metrics.contains(QStringLiteral("load_cpu_pct")));
        }
        QCOMPARE(seen, cases);
        if (scenario == QLatin1String("connect")) {
            const QJsonObject metrics = lines.first().value(QStringLiteral("metrics")).toObject();
            QVERIFY(metrics.contains(QStringLiteral("rss_kb_per_conn")));
            // --quick holds the connections idle for half a second and measures the server meanwhile
            QVERIFY2(metrics.value(QStringLiteral("idle_s")).toDouble() >= 0.5, qPrintable(run.diagnostics()));
            QVERIFY2(metrics.contains(QStringLiteral("idle_server_cpu_pct")), qPrintable(run.diagnostics()));
        }
        QVERIFY2(s.isRunning(), "the server died during the scenario");
        // every connection of the scenario ended (bench-load resets them): the server noticed and
        // let go of each one (a server that misses a peer's end keeps its descriptor)
        QTRY_VERIFY2_WITH_TIMEOUT(openFiles(s.pid()) <= fdsBefore, qPrintable(u"%1 descriptors open, %2 before"_qs.arg(openFiles(s.pid())).arg(fdsBefore)), 15000);
    }

private:
    static int openFiles(qint64 pid)
    {
        return int(QDir(u"/proc/%1/fd"_qs.arg(pid)).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System).size());
    }
};

QTEST_GUILESS_MAIN(tst_BenchSmoke)
#include "tst_bench_smoke.moc"

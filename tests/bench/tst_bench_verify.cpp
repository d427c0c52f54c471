// Both bench servers, ours (bench-server on libsocketio) and Node's (bench/node/bench-server.js on
// the pinned socket.io), give the same replies: `bench-load verify` checks echo with and without an
// ack (binary too), join/leave acks {"ok":true}, broadcast payloads unchanged with key order kept,
// 64 KiB binaries intact, only room members served, and a long-polling member's view. A server
// that breaks the contract (Node's with --fault sort-keys) is caught.
#include "benchprocesses.h"

#include <QTest>

using namespace SocketIo::Test;

class tst_BenchVerify : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        SOCKETIO_REQUIRE_NODE();
        QVERIFY2(QFileInfo::exists(benchBinary(QStringLiteral("bench-load"))), "bench-load is not built");
        QVERIFY2(QFileInfo::exists(benchBinary(QStringLiteral("bench-server"))), "bench-server is not built");
    }

    void serverGivesTheExpectedReplies_data()
    {
        QTest::addColumn<QString>("server");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("dispatcher");   // ours: the event dispatcher it reports
        QTest::newRow("ours") << QStringLiteral("ours") << QStringList() << QStringLiteral("SocketIo::EpollEventDispatcher");
        QTest::newRow("ours on Qt's dispatcher")
                << QStringLiteral("ours") << QStringList{QStringLiteral("--event-dispatcher"), QStringLiteral("qt")}
                << QStringLiteral("QEventDispatcherUNIX");
        QTest::newRow("ours, 2 workers")
                << QStringLiteral("ours") << QStringList{QStringLiteral("--workers"), QStringLiteral("2")}
                << QStringLiteral("SocketIo::EpollEventDispatcher");
        QTest::newRow("node") << QStringLiteral("node") << QStringList() << QString();
    }
    void serverGivesTheExpectedReplies()
    {
        QFETCH(QString, server);
        QFETCH(QStringList, arguments);
        QFETCH(QString, dispatcher);
        BenchServer s;
        QVERIFY2(s.start(server, arguments), qPrintable(s.error()));
        if (!dispatcher.isEmpty())
            QCOMPARE(s.listening().value(QStringLiteral("dispatcher")).toString(), dispatcher);
        const LoadRun run = runLoad({QStringLiteral("verify"), QStringLiteral("--port"), QString::number(s.port())});
        QVERIFY2(run.finished && run.exitCode == 0, qPrintable(run.diagnostics()));
        QVERIFY2(!run.out.contains("FAIL"), qPrintable(run.diagnostics()));
        const QList<QJsonObject> lines = run.jsonLines();
        QVERIFY2(!lines.isEmpty(), qPrintable(run.diagnostics()));
        QCOMPARE(lines.last().value(QStringLiteral("verify")).toString(), QStringLiteral("ok"));
        QCOMPARE(lines.last().value(QStringLiteral("failures")).toInt(), 0);
        // every check ran (a shorter list would mean a check was skipped)
        QCOMPARE(lines.last().value(QStringLiteral("checks")).toInt(), int(run.out.count("PASS ")));
        QVERIFY(lines.last().value(QStringLiteral("checks")).toInt() >= 29);
        QVERIFY(s.isRunning());
    }

    void verifyCatchesLostKeyOrder()
    {
        BenchServer s;
        QVERIFY2(s.start(QStringLiteral("node"), {QStringLiteral("--fault"), QStringLiteral("sort-keys")}),
                 qPrintable(s.error()));
        const LoadRun run = runLoad({QStringLiteral("verify"), QStringLiteral("--port"), QString::number(s.port())});
        QVERIFY2(run.finished, qPrintable(run.diagnostics()));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("FAIL broadcast reaches the sender in the room"), qPrintable(run.diagnostics()));
        QCOMPARE(run.jsonLines().last().value(QStringLiteral("verify")).toString(), QStringLiteral("failed"));
    }

    void verifyFailsWithoutAServer()
    {
        // a port nobody listens on: bench-load must fail loudly, not report success
        int port = 0;
        {
            BenchServer s;
            QVERIFY2(s.start(QStringLiteral("ours")), qPrintable(s.error()));
            port = s.port();
        }   // killed here
        const LoadRun run = runLoad({QStringLiteral("verify"), QStringLiteral("--port"), QString::number(port)});
        QVERIFY2(run.finished, qPrintable(run.diagnostics()));
        QVERIFY(run.exitCode != 0);
        QVERIFY(!run.out.contains("\"verify\":\"ok\""));
    }
};

QTEST_GUILESS_MAIN(tst_BenchVerify)
#include "tst_bench_verify.moc"

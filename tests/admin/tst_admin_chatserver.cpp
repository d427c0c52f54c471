// examples/chat-server's admin flags, as a separate process: --hash-password, --admin-user with
// --admin-password-hash (basic authentication with the real socket.io-client), the CORS headers
// the official UI needs (another origin, withCredentials), --admin-readonly/--admin-production,
// and refusal of inconsistent or invalid flags.
#include "admintesthelpers.h"
#include "rawhttpclient.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>
#include <QTest>

using namespace AdminTest;

namespace {

const QString Program = QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-server/chat-server");

/*! A running chat-server with \a args on a free loopback port; its stdout is read into output. */
struct ChatServer
{
    QProcess process;
    quint16 port = 0;

    bool start(const QStringList &args)
    {
        {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHost, 0))
                return false;
            port = probe.serverPort();
        }
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(Program, QStringList{u"--port"_s, QString::number(port), u"--host"_s, u"127.0.0.1"_s} + args);
        return process.waitForStarted(10000);
    }
    ~ChatServer()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(5000);
        }
    }
    QString url() const { return u"http://127.0.0.1:%1"_s.arg(port); }
    /*! Waits for the "admin UI:" line printed once it listens; returns stdout so far. */
    QByteArray waitForBanner()
    {
        QByteArray out;
        QDeadlineTimer deadline(10000);
        while (!out.contains("admin UI:") && !deadline.hasExpired() && process.state() == QProcess::Running) {
            process.waitForReadyRead(100);   // bounded; the test's own event loop has nothing to do meanwhile
            out += process.readAllStandardOutput();
        }
        return out;
    }
};

/*! Runs chat-server with \a args to completion; returns its exit code, stdout and stderr. */
int runToEnd(const QStringList &args, QByteArray *out, QByteArray *err)
{
    QProcess p;
    p.start(Program, args);
    if (!p.waitForFinished(20000))
        return -1;
    *out = p.readAllStandardOutput();
    *err = p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

class tst_AdminChatServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void hashPassword_printsAVerifiableHash();
    void adminUser_basicAuthAndCorsForTheUi();
    void readonlyProduction_onlyAggregatedEvents();
    void badFlags_refused_data();
    void badFlags_refused();
};

void tst_AdminChatServer::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    QVERIFY2(QFileInfo(Program).isExecutable(), qPrintable(Program + u" is not built"_s));
}

void tst_AdminChatServer::hashPassword_printsAVerifiableHash()
{
    QByteArray out, err;
    QCOMPARE(runToEnd({u"--hash-password"_s, u"changeit"_s}, &out, &err), 0);
    const QByteArray hash = out.trimmed();
    QVERIFY2(hash.startsWith("$2b$10$"), hash.constData());
    QVERIFY(SocketIo::Instrumentation::verifyPassword(u"changeit"_s, hash));
    QVERIFY(!SocketIo::Instrumentation::verifyPassword(u"other"_s, hash));
}

void tst_AdminChatServer::adminUser_basicAuthAndCorsForTheUi()
{
    ChatServer server;
    QVERIFY(server.start({u"--admin-user"_s, u"admin"_s, u"--admin-password-hash"_s, QString::fromLatin1(ChangeitHash)}));
    const QByteArray banner = server.waitForBanner();
    QVERIFY2(banner.contains("listening on port") && banner.contains("namespace /admin"), banner.constData());

    // what the hosted UI's browser sends: another origin, with credentials
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, server.port));
    const RawHttpResponse r = http.request("GET", "/socket.io/?EIO=4&transport=polling", {},
                                           {"Origin: https://admin.socket.io"});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("access-control-allow-origin"), "https://admin.socket.io"_ba);
    QCOMPARE(r.header("access-control-allow-credentials"), "true"_ba);

    QJsonObject line;
    auto refused = startClient(server.url(), u"/admin"_s,
                               {{u"username"_s, u"admin"_s}, {u"password"_s, u"nope"_s}}, u"websocket"_s, &line);
    QVERIFY(refused);
    QCOMPARE(line.value(u"message"_s).toString(), u"invalid credentials"_s);
    auto admin = startClient(server.url(), u"/admin"_s,
                             {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"polling,websocket"_s, &line);
    QVERIFY(admin);
    QCOMPARE(line.value(u"event"_s).toString(), u"connect"_s);
    QVERIFY(!waitAdminEvent(*admin, u"session"_s).isEmpty());
    const QJsonArray config = waitAdminEvent(*admin, u"config"_s);
    QCOMPARE(config.at(0).toObject().value(u"supportedFeatures"_s).toArray().size(), 9);   // development
    // a chat client shows up
    auto chat = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &line);
    QVERIFY(chat);
    const QString id = line.value(u"id"_s).toString();
    QVERIFY(!waitAdminEvent(*admin, u"socket_connected"_s, firstArgIsSocket(id)).isEmpty());
}

void tst_AdminChatServer::readonlyProduction_onlyAggregatedEvents()
{
    ChatServer server;
    QVERIFY(server.start({u"--admin"_s, u"--admin-readonly"_s, u"--admin-production"_s}));
    const QByteArray banner = server.waitForBanner();
    QVERIFY2(banner.contains("no authentication"), banner.constData());
    auto admin = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin);
    const QJsonArray config = waitAdminEvent(*admin, u"config"_s);
    QCOMPARE(config.at(0).toObject().value(u"supportedFeatures"_s).toArray(), QJsonArray{u"AGGREGATED_EVENTS"_s});
    QVERIFY(!waitAdminEvent(*admin, u"server_stats"_s).isEmpty());
}

void tst_AdminChatServer::badFlags_refused_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("user without hash") << QStringList{u"--admin-user"_s, u"admin"_s} << "go together"_ba;
    QTest::newRow("hash without user") << QStringList{u"--admin-password-hash"_s, QString::fromLatin1(ChangeitHash)}
                                       << "go together"_ba;
    QTest::newRow("not a bcrypt hash") << QStringList{u"--admin-user"_s, u"admin"_s, u"--admin-password-hash"_s, u"changeit"_s}
                                       << "bcrypt hash"_ba;
}

void tst_AdminChatServer::badFlags_refused()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, message);
    QByteArray out, err;
    QCOMPARE(runToEnd(QStringList{u"--port"_s, u"0"_s, u"--host"_s, u"127.0.0.1"_s} + args, &out, &err), 2);
    QVERIFY2(err.contains(message), err.constData());
}

QTEST_MAIN(tst_AdminChatServer)
#include "tst_admin_chatserver.moc"

// The official Socket.IO Admin UI (the prebuilt app of the pinned @socket.io/admin-ui) in
// Debian's chromium, headless, driven by tests/interop/js/admin-ui-driver.js through
// playwright-core, against our instrumented server: the login form works with our basic
// authentication, and the UI shows our sockets and rooms. Screenshots go to
// <build>/screenshots/admin-officialui-*.png.
#include "admintesthelpers.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

using namespace AdminTest;
using SocketIo::Test::NodeProcess;

namespace {

const QString Chromium = u"/usr/bin/chromium"_s;

QString screenshotDir()
{
    return QStringLiteral(SOCKETIO_BINARY_DIR) + u"/screenshots"_s;
}

bool isPng(const QString &file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) && f.size() > 10000 && f.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8);
}

} // namespace

class tst_AdminOfficialUi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void login_showsOurSocketsAndRooms();
    void wrongPassword_showsInvalidCredentials();
};

void tst_AdminOfficialUi::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    if (!QFileInfo(Chromium).isExecutable())
        QFAIL(qPrintable(Chromium + u" is missing: install Debian's chromium package"_s));
    if (!QFileInfo::exists(QStringLiteral(SOCKETIO_SOURCE_DIR) + u"/node_modules/playwright-core/package.json"_s)
        || !QFileInfo::exists(QStringLiteral(SOCKETIO_SOURCE_DIR) + u"/node_modules/@socket.io/admin-ui/ui/dist/index.html"_s))
        QFAIL("playwright-core or @socket.io/admin-ui is missing from node_modules: run npm ci");
    QVERIFY(QDir().mkpath(screenshotDir()));
}

void tst_AdminOfficialUi::login_showsOurSocketsAndRooms()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    options.serverId = u"libsocketio-test"_s;
    QVERIFY(server.start(options));
    QJsonObject line;
    auto client = startClient(server.url(), u"/"_s, {}, u"polling,websocket"_s, &line);
    QVERIFY(client);
    const QString id = line.value(u"id"_s).toString();
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"room-ui"_s}}});
    QVERIFY(!client->waitForReceived(u"joined"_s).isEmpty());

    for (const QString &page : {u"sockets"_s, u"rooms"_s, u"dashboard"_s})
        QFile::remove(screenshotDir() + u"/admin-officialui-"_s + page + u".png"_s);
    NodeProcess ui;
    QVERIFY(ui.start(u"admin-ui-driver.js"_s,
                     {u"--server-url"_s, server.url(), u"--username"_s, u"admin"_s, u"--password"_s,
                      u"changeit"_s, u"--socket-id"_s, id, u"--room"_s, u"room-ui"_s, u"--screenshots"_s,
                      screenshotDir(), u"--chromium"_s, Chromium}));
    const QJsonObject login = ui.waitForEvent(u"login"_s, 40000);
    QVERIFY2(login.value(u"ok"_s).toBool(), qPrintable(ui.diagnostics()));
    const QJsonObject sockets = ui.waitForLine([](const QJsonObject &l) {
        return l.value(u"event"_s) == u"visible"_s && l.value(u"page"_s) == u"sockets"_s; }, 30000);
    QVERIFY2(!sockets.isEmpty(), qPrintable(ui.diagnostics()));
    QCOMPARE(sockets.value(u"text"_s).toString(), id);
    const QJsonObject rooms = ui.waitForLine([](const QJsonObject &l) {
        return l.value(u"event"_s) == u"visible"_s && l.value(u"page"_s) == u"rooms"_s; }, 30000);
    QVERIFY2(!rooms.isEmpty(), qPrintable(ui.diagnostics()));
    QVERIFY2(!ui.waitForEvent(u"done"_s, 30000).isEmpty(), qPrintable(ui.diagnostics()));
    for (const QString &page : {u"sockets"_s, u"rooms"_s, u"dashboard"_s}) {
        const QString file = screenshotDir() + u"/admin-officialui-"_s + page + u".png"_s;
        QVERIFY2(isPng(file), qPrintable(file));
    }
    // the browser is closed: its admin socket left our admin namespace
    QTRY_COMPARE(server.admin->adminNamespace()->socketCount(), 0);
}

void tst_AdminOfficialUi::wrongPassword_showsInvalidCredentials()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    QVERIFY(server.start(options));
    NodeProcess ui;
    QVERIFY(ui.start(u"admin-ui-driver.js"_s,
                     {u"--server-url"_s, server.url(), u"--username"_s, u"admin"_s, u"--password"_s,
                      u"wrong"_s, u"--expect-error"_s, u"Invalid credentials"_s, u"--screenshots"_s,
                      screenshotDir(), u"--chromium"_s, Chromium}));
    const QJsonObject login = ui.waitForEvent(u"login"_s, 40000);
    QVERIFY2(!login.isEmpty(), qPrintable(ui.diagnostics()));
    QCOMPARE(login.value(u"ok"_s).toBool(), false);
    // the UI translates exactly "invalid credentials" (else it shows "Error: <message>")
    QCOMPARE(login.value(u"error"_s).toString(), u"Invalid credentials"_s);
    QVERIFY2(!ui.waitForEvent(u"done"_s, 30000).isEmpty(), qPrintable(ui.diagnostics()));
    QCOMPARE(server.admin->adminNamespace()->socketCount(), 0);   // refused, never connected
}

QTEST_MAIN(tst_AdminOfficialUi)
#include "tst_admin_officialui.moc"

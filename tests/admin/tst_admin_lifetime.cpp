// SocketIo::Instrumentation lifetimes and hostile input, with the raw Socket.IO peer of
// tests/common (exact wire strings, no Node): the server destroyed under a live instrumentation,
// the instrumentation destroyed under a live server, an admin socket that disconnects itself
// from its own command, and CONNECT credentials of the wrong types. Meant to run under
// AddressSanitizer too: most of what these cases guard against is a dangling pointer.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/instrumentation.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace {

/*! bcryptjs.hashSync("changeit", 4). */
const QByteArray ChangeitHash = "$2a$04$Oc1Cg/OkNUx9Csk0vwqmQ.Kw/Qg0vROzJfyLL/Z6suoPMYjOC1tEC"_ba;

/*! Sends CONNECT for \a nsp with \a authJson and waits for its reply ("40..." or "44..."),
    skipping what the server sends before it (session, room_joined) and what came earlier. */
QByteArray connectTo(SioRawClient &client, const QString &nsp, const QByteArray &authJson = QByteArray())
{
    const QByteArray prefix = nsp == u"/"_s ? QByteArray() : nsp.toUtf8() + ',';
    const QByteArray ok = "40" + prefix;
    const QByteArray refused = "44" + prefix;
    const qsizetype before = client.history().size();
    client.send(ok + authJson);
    QByteArray reply;
    (void)QTest::qWaitFor([&] {
        const QList<SioRawClient::Frame> frames = client.history();
        for (qsizetype i = before; i < frames.size(); ++i) {
            const QByteArray &d = frames.at(i).data;
            if (d.startsWith(ok) || d.startsWith(refused)) {
                reply = d;
                return true;
            }
        }
        return false;
    }, 5000);
    return reply;
}

QByteArray connectAdmin(SioRawClient &client, const QByteArray &authJson = QByteArray())
{
    return connectTo(client, u"/admin"_s, authJson);
}

/*! Whether \a client received the text message \a data (within 5 s). */
bool waitForMessage(const SioRawClient &client, const QByteArray &data)
{
    return QTest::qWaitFor([&] {
        const QList<SioRawClient::Frame> frames = client.history();
        for (const SioRawClient::Frame &f : frames) {
            if (!f.binary && f.data == data)
                return true;
        }
        return false;
    }, 5000);
}

/*! The admin events received so far, as [name, ...args]. */
QList<QJsonArray> adminEvents(const SioRawClient &client)
{
    QList<QJsonArray> events;
    const QList<SioRawClient::Frame> frames = client.history();
    for (const SioRawClient::Frame &f : frames) {
        if (!f.binary && f.data.startsWith("42/admin,"))
            events.append(QJsonDocument::fromJson(f.data.mid(9)).array());
    }
    return events;
}

/*! Waits for the admin event \a name whose args satisfy \a predicate; returns [name, ...args]. */
QJsonArray waitAdminEvent(const SioRawClient &client, const QString &name,
                          const std::function<bool(const QJsonArray &)> &predicate = {})
{
    QJsonArray found;
    (void)QTest::qWaitFor([&] {
        const QList<QJsonArray> events = adminEvents(client);
        for (const QJsonArray &e : events) {
            if (e.at(0).toString() == name && (!predicate || predicate(e))) {
                found = e;
                return true;
            }
        }
        return false;
    }, 5000);
    return found;
}

QTimer *statsTimer(SocketIo::Instrumentation &admin)
{
    return admin.findChild<QTimer *>(u"socketio-admin-stats"_s);
}

} // namespace

class tst_AdminLifetime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void serverDestroyedFirst_instrumentationSurvives();
    void instrumentationDestroyedFirst_serverKeepsServing();
    void adminDisconnectsItself_inItsOwnCommand();
    void badCredentials_refusedSessionStaysUsable_data();
    void badCredentials_refusedSessionStaysUsable();
    void reservedEventInEmitCommand_refused();
    void otherThread_refusedAtSetup();
};

void tst_AdminLifetime::initTestCase()
{
    sioRegisterMetaTypes();
}

void tst_AdminLifetime::serverDestroyedFirst_instrumentationSurvives()
{
    std::unique_ptr<SocketIo::Server> io = sioStartServer();
    QVERIFY(io);
    SocketIo::AdminOptions options;
    options.statsInterval = std::chrono::milliseconds(50);
    SocketIo::Instrumentation admin(io.get(), options);
    QVERIFY(admin.isValid());
    QVERIFY(statsTimer(admin));

    SioRawClient adminClient;
    QVERIFY(adminClient.open(io->serverPort()));
    QVERIFY(connectAdmin(adminClient).startsWith("40/admin,"));
    QVERIFY(!waitAdminEvent(adminClient, u"all_sockets"_s).isEmpty());
    SioRawClient app;
    QVERIFY(app.open(io->serverPort()));
    QVERIFY(connectTo(app, u"/"_s).startsWith("40{"));
    io->sockets()->socketsJoin(QStringList{u"room-1"_s});   // a room_left per socket when the server goes
    QVERIFY(!waitAdminEvent(adminClient, u"room_joined"_s,
                            [](const QJsonArray &e) { return e.at(2) == u"room-1"_s; }).isEmpty());

    // every socket disconnects while the server is destroyed: the reporting must cope with
    // namespaces, adapters and sessions going away under it
    io.reset();
    QVERIFY(!admin.adminNamespace());
    QVERIFY(adminClient.waitForClosed());
    // the timer keeps running; its emissions and the deferred room_left are no-ops now
    QSignalSpy ticks(statsTimer(admin), &QTimer::timeout);
    QTRY_VERIFY(ticks.count() >= 2);
    admin.sendServerStats();
    QVERIFY(admin.isValid());
}

void tst_AdminLifetime::instrumentationDestroyedFirst_serverKeepsServing()
{
    std::unique_ptr<SocketIo::Server> io = sioStartServer();
    QVERIFY(io);
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    auto admin = std::make_unique<SocketIo::Instrumentation>(io.get(), options);
    QVERIFY(admin->isValid());

    SioRawClient adminClient;
    QVERIFY(adminClient.open(io->serverPort()));
    QVERIFY(connectAdmin(adminClient, R"({"username":"admin","password":"changeit"})").startsWith("40/admin,"));
    const QString sessionId = waitAdminEvent(adminClient, u"session"_s).at(1).toString();
    QCOMPARE(sessionId.size(), 16);
    SioRawClient app;
    QVERIFY(app.open(io->serverPort()));
    QSignalSpy connections(io->sockets(), &SocketIo::Namespace::connection);
    QVERIFY(connectTo(app, u"/"_s).startsWith("40{"));
    QVERIFY(!waitAdminEvent(adminClient, u"socket_connected"_s, [](const QJsonArray &e) {
                 return e.at(1).toObject().value(u"nsp"_s) == u"/"_s;
             }).isEmpty());
    SocketIo::Socket *appSocket = connections.value(0).value(0).value<SocketIo::Socket *>();
    QVERIFY(appSocket);

    admin.reset();
    const qsizetype adminEventsBefore = adminEvents(adminClient).size();
    // the application goes on: events, data, rooms, a disconnect
    QSignalSpy received(appSocket, &SocketIo::Socket::eventReceived);
    appSocket->setData(QCborMap{{u"x"_s, 1}});
    appSocket->join(u"room-2"_s);
    app.send(R"(42["hello",1])");
    QTRY_COMPARE(received.count(), 1);
    io->sockets()->disconnectSockets();
    QVERIFY(waitForMessage(app, "41"));
    // no reporting left behind: nothing more reached the admin client (its connection still works)
    QVERIFY(connectTo(adminClient, u"/"_s).startsWith("40{"));
    const QList<QJsonArray> after = adminEvents(adminClient);
    QVERIFY2(after.size() == adminEventsBefore,
             QJsonDocument(after.mid(adminEventsBefore).value(0)).toJson(QJsonDocument::Compact).constData());
    // the middleware stays and refuses everyone, even a session id it handed out
    SioRawClient late;
    QVERIFY(late.open(io->serverPort()));
    QCOMPARE(connectAdmin(late, R"({"sessionId":")" + sessionId.toLatin1() + R"("})"),
             R"(44/admin,{"message":"invalid credentials"})"_ba);
    QVERIFY(connectTo(late, u"/"_s).startsWith("40{"));
}

void tst_AdminLifetime::adminDisconnectsItself_inItsOwnCommand()
{
    std::unique_ptr<SocketIo::Server> io = sioStartServer();
    QVERIFY(io);
    SocketIo::Instrumentation admin(io.get(), SocketIo::AdminOptions());
    QVERIFY(admin.isValid());
    SioRawClient watcher;
    QVERIFY(watcher.open(io->serverPort()));
    QVERIFY(connectAdmin(watcher).startsWith("40/admin,"));
    SioRawClient self;
    QVERIFY(self.open(io->serverPort()));
    const QByteArray reply = connectAdmin(self);
    QVERIFY(reply.startsWith("40/admin,"));
    const QString selfId = QJsonDocument::fromJson(reply.mid(9)).object().value(u"sid"_s).toString();
    QVERIFY(!selfId.isEmpty());

    // the handler of this very socket makes it leave, and closes its Engine.IO session
    self.send(R"(42/admin,["_disconnect","/admin",true,")" + selfId.toLatin1() + R"("])");
    QVERIFY(self.waitForClosed());
    const QJsonArray gone = waitAdminEvent(watcher, u"socket_disconnected"_s,
                                           [&selfId](const QJsonArray &e) { return e.at(2) == selfId; });
    QCOMPARE(gone.at(1).toString(), u"/admin"_s);
    QCOMPARE(gone.at(3).toString(), u"server namespace disconnect"_s);
    // the other admin socket was not in the filter and still commands
    QCOMPARE(admin.adminNamespace()->socketCount(), 1);
    watcher.send(R"(42/admin,["join","/admin","after"])");
    QVERIFY(!waitAdminEvent(watcher, u"room_joined"_s, [](const QJsonArray &e) { return e.at(2) == u"after"_s; })
                     .isEmpty());
}

void tst_AdminLifetime::badCredentials_refusedSessionStaysUsable_data()
{
    QTest::addColumn<QByteArray>("auth");
    QTest::newRow("user name an array") << R"({"username":["admin"],"password":"changeit"})"_ba;
    QTest::newRow("session id a number") << R"({"sessionId":1234567890123456})"_ba;
    QTest::newRow("session id an object") << R"({"sessionId":{"$ne":""}})"_ba;
    QTest::newRow("session id empty, password wrong") << R"({"sessionId":"","username":"admin","password":"x"})"_ba;
    QTest::newRow("NUL inside the password") << R"({"username":"admin","password":"changeit\u0000x"})"_ba;
    QTest::newRow("password 64 KiB") << R"({"username":"admin","password":")" + QByteArray(65536, 'a') + R"("})";
    QTest::newRow("auth not an object") << R"("admin:changeit")"_ba;
}

void tst_AdminLifetime::badCredentials_refusedSessionStaysUsable()
{
    QFETCH(QByteArray, auth);
    std::unique_ptr<SocketIo::Server> io = sioStartServer();
    QVERIFY(io);
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    SocketIo::Instrumentation admin(io.get(), options);
    QVERIFY(admin.isValid());
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    if (!auth.startsWith('{')) {
        // not an object: refused by the Socket.IO parser before the middleware runs
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"invalid Socket.IO packet"_s));
        client.send("40/admin," + auth);
        QVERIFY(client.waitForClosed());
        QCOMPARE(admin.adminNamespace()->socketCount(), 0);
        return;
    }
    QCOMPARE(connectAdmin(client, auth), R"(44/admin,{"message":"invalid credentials"})"_ba);
    QVERIFY(adminEvents(client).isEmpty());   // no session handed out
    // nothing else disturbed: the same Engine.IO session logs in with the right credentials
    QVERIFY(connectAdmin(client, R"({"username":"admin","password":"changeit"})").startsWith("40/admin,"));
    QCOMPARE(waitAdminEvent(client, u"session"_s).at(1).toString().size(), 16);
}

void tst_AdminLifetime::reservedEventInEmitCommand_refused()
{
    std::unique_ptr<SocketIo::Server> io = sioStartServer();
    QVERIFY(io);
    SocketIo::Instrumentation admin(io.get(), SocketIo::AdminOptions());
    QVERIFY(admin.isValid());
    SioRawClient adminClient;
    QVERIFY(adminClient.open(io->serverPort()));
    QVERIFY(connectAdmin(adminClient).startsWith("40/admin,"));
    SioRawClient app;
    QVERIFY(app.open(io->serverPort()));
    QVERIFY(connectTo(app, u"/"_s).startsWith("40{"));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"admin command emit ignored: the server refused"_s));
    adminClient.send(R"(42/admin,["emit","/",null,"disconnect","x"])");
    adminClient.send(R"(42/admin,["emit","/",null,"fine","y"])");
    // only the second one arrives, and the server goes on
    QVERIFY(waitForMessage(app, R"(42["fine","y"])"));
    for (const SioRawClient::Frame &f : app.history())
        QVERIFY2(!f.data.contains("disconnect"), f.data.constData());
    QVERIFY(!adminClient.isClosed() && !app.isClosed());
}

void tst_AdminLifetime::otherThread_refusedAtSetup()
{
    SocketIo::Server io;
    bool valid = true;
    QString error;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"admin instrumentation refused: .*another thread"_s));
    std::unique_ptr<QThread> thread(QThread::create([&] {
        SocketIo::Instrumentation admin(&io, SocketIo::AdminOptions());
        valid = admin.isValid();
        error = admin.errorString();
    }));
    thread->start();
    QVERIFY(thread->wait(10000));
    QVERIFY(!valid);
    QVERIFY2(error.contains(u"another thread"_s), qPrintable(error));
    QVERIFY(!io.findNamespace(u"/admin"_s));   // nothing touched from the wrong thread
}

QTEST_MAIN(tst_AdminLifetime)
#include "tst_admin_lifetime.moc"

// SocketIo::Instrumentation against the real socket.io-client (the Admin UI is such a client):
// authentication, the events of protocol.md 5.3 with their payloads and order (5.5), the
// commands of 5.4, readonly and production modes, dynamic namespaces and bad input.
#include "admintesthelpers.h"

#include <SocketIo/enginesession.h>
#include <SocketIo/engineserver.h>

#include <QCoreApplication>
#include <QSet>
#include <QSignalSpy>
#include <QSysInfo>
#include <QTest>
#include <QTimer>

using namespace AdminTest;
using SocketIo::Test::NodeProcess;

namespace {

const QStringList DevFeatures{u"EMIT"_s, u"JOIN"_s, u"LEAVE"_s, u"DISCONNECT"_s, u"MJOIN"_s,
                              u"MLEAVE"_s, u"MDISCONNECT"_s, u"AGGREGATED_EVENTS"_s, u"ALL_EVENTS"_s};

QStringList toStringList(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &x : v.toArray())
        out.append(x.toString());
    return out;
}

/*! The admin namespace's packets as the client received them (trace), as event names, with
    "CONNECT" for the CONNECT reply; server_stats left out (timer driven). */
QStringList adminPacketOrder(const NodeProcess &client)
{
    QStringList order;
    const QList<QJsonObject> lines = client.lines();
    for (const QJsonObject &l : lines) {
        if (l.value(u"event"_s).toString() != u"packet"_s || l.value(u"direction"_s).toString() != u"in"_s)
            continue;
        const QString data = l.value(u"data"_s).toString();
        if (data.startsWith(u"0/admin,"_s)) {
            order.append(u"CONNECT"_s);
        } else if (data.startsWith(u"2/admin,"_s)) {
            const QJsonArray packet = QJsonDocument::fromJson(data.mid(8).toUtf8()).array();
            const QString name = packet.at(0).toString();
            if (name != u"server_stats"_s)
                order.append(name);
        }
    }
    return order;
}

/*! The admin events received so far, by name (server_stats left out). */
QStringList adminEventNames(const NodeProcess &client)
{
    QStringList names;
    const QList<QJsonObject> lines = client.lines();
    for (const QJsonObject &l : lines) {
        if (l.value(u"event"_s).toString() == u"event"_s && l.value(u"name"_s).toString() != u"server_stats"_s)
            names.append(l.value(u"name"_s).toString());
    }
    return names;
}

QJsonObject findSocket(const QJsonArray &sockets, const QString &id)
{
    for (const QJsonValue &v : sockets) {
        if (v.toObject().value(u"id"_s).toString() == id)
            return v.toObject();
    }
    return {};
}

void verifySerializedSocket(const QJsonObject &s, const QString &id, const QString &nsp, const QString &transport)
{
    QCOMPARE(s.value(u"id"_s).toString(), id);
    QCOMPARE(s.value(u"nsp"_s).toString(), nsp);
    QCOMPARE(s.value(u"clientId"_s).toString().size(), 12);
    QCOMPARE(s.value(u"transport"_s).toString(), transport);
    QVERIFY(s.value(u"data"_s).isObject());
    QVERIFY(!s.value(u"data"_s).toObject().contains(u"_admin"_s));
    const QJsonObject h = s.value(u"handshake"_s).toObject();
    QStringList keys = h.keys();
    keys.sort();
    QCOMPARE(keys, (QStringList{u"address"_s, u"headers"_s, u"issued"_s, u"query"_s, u"secure"_s,
                                u"time"_s, u"url"_s, u"xdomain"_s}));   // never "auth"
    QVERIFY(h.value(u"address"_s).toString().contains(u"127.0.0.1"_s));
    QVERIFY(h.value(u"headers"_s).toObject().contains(u"host"_s));
    QCOMPARE(h.value(u"query"_s).toObject().value(u"EIO"_s).toString(), u"4"_s);
    QVERIFY(h.value(u"issued"_s).isDouble());
    QCOMPARE(h.value(u"secure"_s), QJsonValue(false));
    QVERIFY(h.value(u"time"_s).toString().contains(u"GMT"_s));
    QVERIFY(h.value(u"url"_s).toString().startsWith(u"/socket.io/?EIO=4"_s));
    QVERIFY(h.value(u"xdomain"_s).isBool());
    QCOMPARE(s.value(u"rooms"_s).toArray().first().toString(), id);
}

} // namespace

class tst_AdminInstrumentation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void authNone_connectSequence();
    void basicAuth_sessionBeforeConnect_thenSessionId();
    void sessionStore_sharedByTwoServers();
    void sessionStore_answersLater();
    void basicAuth_refused_data();
    void basicAuth_refused();
    void expiredSession_refused();
    void forwardedAddress_shownAsAddress_data();
    void forwardedAddress_shownAsAddress();
    void invalidHash_refusedAtSetup_data();
    void invalidHash_refusedAtSetup();
    void bcrypt_verifyAndHash();
    void socketLifecycle_events();
    void transportUpgrade_socketUpdated();
    void serverStats_fields();
    void production_onlyStats_exactCounters();
    void commands_filters();
    void readonly_commandsIgnored();
    void dynamicNamespaces_instrumented();
    void badCommands_loggedAndIgnored_data();
    void badCommands_loggedAndIgnored();
};

void tst_AdminInstrumentation::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    qRegisterMetaType<SocketIo::Message>();
}

void tst_AdminInstrumentation::authNone_connectSequence()
{
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    QJsonObject connectLine;
    auto admin = startClient(server.url(), u"/admin"_s, {}, u"websocket"_s, &connectLine, true);
    QVERIFY2(admin, qPrintable(connectLine.isEmpty() ? u"no connect"_s : connectLine.value(u"message"_s).toString()));
    QCOMPARE(connectLine.value(u"event"_s).toString(), u"connect"_s);
    const QString adminId = connectLine.value(u"id"_s).toString();

    const QJsonArray config = waitAdminEvent(*admin, u"config"_s);
    QCOMPARE(toStringList(config.at(0).toObject().value(u"supportedFeatures"_s)), DevFeatures);
    const QJsonArray all = waitAdminEvent(*admin, u"all_sockets"_s);
    QVERIFY(!all.isEmpty());
    const QJsonObject self = findSocket(all.at(0).toArray(), adminId);
    verifySerializedSocket(self, adminId, u"/admin"_s, u"websocket"_s);
    QCOMPARE(self.value(u"data"_s).toObject(), QJsonObject());

    // protocol.md 5.5: room_joined (own room) -> CONNECT reply -> socket_connected -> config -> all_sockets
    QCOMPARE(adminPacketOrder(*admin),
             (QStringList{u"room_joined"_s, u"CONNECT"_s, u"socket_connected"_s, u"config"_s, u"all_sockets"_s}));
    QVERIFY(!adminEventNames(*admin).contains(u"session"_s));
    QCOMPARE(server.admin->adminNamespace()->name(), u"/admin"_s);
}

void tst_AdminInstrumentation::basicAuth_sessionBeforeConnect_thenSessionId()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    QVERIFY(server.start(options));
    QJsonObject connectLine;
    auto admin = startClient(server.url(), u"/admin"_s,
                             {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"websocket"_s,
                             &connectLine, true);
    QVERIFY(admin);
    QCOMPARE(connectLine.value(u"event"_s).toString(), u"connect"_s);
    const QJsonArray session = waitAdminEvent(*admin, u"session"_s);
    QCOMPARE(session.size(), 1);
    QVERIFY(QRegularExpression(u"^[0-9a-f]{16}$"_s).match(session.at(0).toString()).hasMatch());
    waitAdminEvent(*admin, u"all_sockets"_s);
    const QStringList order = adminPacketOrder(*admin);
    QVERIFY2(order.indexOf(u"session"_s) == 0 && order.indexOf(u"CONNECT"_s) > 0, qPrintable(order.join(u',')));

    // a reload: the session id alone is enough, and no new session is handed out
    QJsonObject second;
    auto again = startClient(server.url(), u"/admin"_s, {{u"sessionId"_s, session.at(0).toString()}},
                             u"websocket"_s, &second);
    QVERIFY(again);
    QCOMPARE(second.value(u"event"_s).toString(), u"connect"_s);
    waitAdminEvent(*again, u"all_sockets"_s);
    QVERIFY(!adminEventNames(*again).contains(u"session"_s));
}

void tst_AdminInstrumentation::sessionStore_sharedByTwoServers()
{
    // instrument()'s `store`: a session id handed out by one server opens the admin namespace of
    // another that shares the store (a UI reconnecting to another node of a cluster)
    auto store = std::make_shared<SocketIo::InMemoryAdminSessionStore>();
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    options.sessionStore = store;
    TestServer a;
    TestServer b;
    QVERIFY(a.start(options));
    QVERIFY(b.start(options));
    QJsonObject connectLine;
    auto admin = startClient(a.url(), u"/admin"_s,
                             {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"websocket"_s,
                             &connectLine, true);
    QVERIFY(admin);
    const QJsonArray session = waitAdminEvent(*admin, u"session"_s);
    QCOMPARE(store->size(), 1);
    QJsonObject second;
    auto onB = startClient(b.url(), u"/admin"_s, {{u"sessionId"_s, session.at(0).toString()}}, u"websocket"_s, &second);
    QVERIFY(onB);
    QCOMPARE(second.value(u"event"_s).toString(), u"connect"_s);
    waitAdminEvent(*onB, u"all_sockets"_s);
    QVERIFY(!adminEventNames(*onB).contains(u"session"_s));

    // without the shared store, B does not know the id
    SocketIo::AdminOptions own = options;
    own.sessionStore.reset();
    TestServer c;
    QVERIFY(c.start(own));
    QJsonObject third;
    auto onC = startClient(c.url(), u"/admin"_s, {{u"sessionId"_s, session.at(0).toString()}}, u"websocket"_s, &third);
    QCOMPARE(third.value(u"event"_s).toString(), u"connect_error"_s);
    QCOMPARE(third.value(u"message"_s).toString(), u"invalid credentials"_s);
}

namespace {
// A store that answers on a later event-loop pass, as one over the network does.
class LaterStore : public SocketIo::AdminSessionStore
{
public:
    void contains(const QString &sessionId, const std::function<void(bool)> &done) override
    {
        ++lookups;
        const bool known = ids.contains(sessionId);
        QTimer::singleShot(20, [done, known] { done(known); });
    }
    void save(const QString &sessionId, std::chrono::seconds duration) override
    {
        ids.insert(sessionId);
        lastDuration = duration;
    }
    QSet<QString> ids;
    int lookups = 0;
    std::chrono::seconds lastDuration{0};
};
} // namespace

void tst_AdminInstrumentation::sessionStore_answersLater()
{
    auto store = std::make_shared<LaterStore>();
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    options.sessionStore = store;
    options.sessionDuration = std::chrono::seconds(600);
    TestServer server;
    QVERIFY(server.start(options));
    QJsonObject connectLine;
    auto admin = startClient(server.url(), u"/admin"_s,
                             {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"websocket"_s,
                             &connectLine, true);
    QVERIFY(admin);
    const QString id = waitAdminEvent(*admin, u"session"_s).at(0).toString();
    QCOMPARE(store->ids, QSet<QString>{id});
    QCOMPARE(store->lastDuration, std::chrono::seconds(600));
    QCOMPARE(store->lookups, 0);   // no session id sent: straight to the password

    QJsonObject second;
    auto again = startClient(server.url(), u"/admin"_s, {{u"sessionId"_s, id}}, u"websocket"_s, &second);
    QVERIFY(again);
    QCOMPARE(second.value(u"event"_s).toString(), u"connect"_s);
    QCOMPARE(store->lookups, 1);
    // an unknown id with the right password still logs in (the id is looked up first)
    QJsonObject third;
    auto withBoth = startClient(server.url(), u"/admin"_s,
                                {{u"sessionId"_s, u"ffffffffffffffff"_s}, {u"username"_s, u"admin"_s},
                                 {u"password"_s, u"changeit"_s}}, u"websocket"_s, &third, true);
    QVERIFY(withBoth);
    QCOMPARE(third.value(u"event"_s).toString(), u"connect"_s);
    waitAdminEvent(*withBoth, u"session"_s);
    QCOMPARE(store->lookups, 2);
    QCOMPARE(store->ids.size(), 2);
}

void tst_AdminInstrumentation::basicAuth_refused_data()
{
    QTest::addColumn<QJsonObject>("auth");
    QTest::newRow("wrong password") << QJsonObject{{u"username"_s, u"admin"_s}, {u"password"_s, u"nope"_s}};
    QTest::newRow("wrong user") << QJsonObject{{u"username"_s, u"root"_s}, {u"password"_s, u"changeit"_s}};
    QTest::newRow("unknown session id") << QJsonObject{{u"sessionId"_s, u"0123456789abcdef"_s}};
    QTest::newRow("password not a string") << QJsonObject{{u"username"_s, u"admin"_s}, {u"password"_s, 42}};
    QTest::newRow("no credentials") << QJsonObject();
}

void tst_AdminInstrumentation::basicAuth_refused()
{
    QFETCH(QJsonObject, auth);
    TestServer server;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    QVERIFY(server.start(options));
    QJsonObject line;
    auto admin = startClient(server.url(), u"/admin"_s, auth, u"websocket"_s, &line);
    QVERIFY(admin);
    QCOMPARE(line.value(u"event"_s).toString(), u"connect_error"_s);
    QCOMPARE(line.value(u"message"_s).toString(), u"invalid credentials"_s);
    QVERIFY(!adminEventNames(*admin).contains(u"session"_s));
    // nothing else disturbed: the right credentials still work on the same server
    QJsonObject ok;
    auto good = startClient(server.url(), u"/admin"_s,
                            {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"websocket"_s, &ok);
    QVERIFY(good);
    QCOMPARE(ok.value(u"event"_s).toString(), u"connect"_s);
}

void tst_AdminInstrumentation::expiredSession_refused()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, ChangeitHash);
    options.sessionDuration = std::chrono::seconds(0);   // every session id expires at once
    QVERIFY(server.start(options));
    QJsonObject line;
    auto admin = startClient(server.url(), u"/admin"_s,
                             {{u"username"_s, u"admin"_s}, {u"password"_s, u"changeit"_s}}, u"websocket"_s, &line);
    QVERIFY(admin);
    QCOMPARE(line.value(u"event"_s).toString(), u"connect"_s);
    const QString sessionId = waitAdminEvent(*admin, u"session"_s).at(0).toString();
    QVERIFY(!sessionId.isEmpty());
    auto again = startClient(server.url(), u"/admin"_s, {{u"sessionId"_s, sessionId}}, u"websocket"_s, &line);
    QVERIFY(again);
    QCOMPARE(line.value(u"event"_s).toString(), u"connect_error"_s);
    QCOMPARE(line.value(u"message"_s).toString(), u"invalid credentials"_s);
}

void tst_AdminInstrumentation::forwardedAddress_shownAsAddress_data()
{
    QTest::addColumn<QJsonObject>("headers");
    QTest::addColumn<QString>("address");
    QTest::newRow("x-forwarded-for") << QJsonObject{{u"x-forwarded-for"_s, u"203.0.113.7"_s}} << u"203.0.113.7"_s;
    QTest::newRow("cf-connecting-ip first")
            << QJsonObject{{u"x-forwarded-for"_s, u"203.0.113.7"_s}, {u"cf-connecting-ip"_s, u"198.51.100.2"_s}}
            << u"198.51.100.2"_s;
    QTest::newRow("peer address") << QJsonObject{{u"x-other"_s, u"1"_s}} << u"127.0.0.1"_s;
}

void tst_AdminInstrumentation::forwardedAddress_shownAsAddress()
{
    QFETCH(QJsonObject, headers);
    QFETCH(QString, address);
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    auto admin = startAdminClient(server.url());
    QVERIFY(admin);
    SocketIo::Test::NodeProcess client;
    const QJsonObject extra{{u"extraHeaders"_s, headers}};
    QVERIFY(client.start(u"client-scenario.js"_s,
                         {u"--url"_s, server.url(), u"--transports"_s, u"polling"_s, u"--options"_s,
                          QString::fromUtf8(QJsonDocument(extra).toJson(QJsonDocument::Compact))}));
    const QString id = client.waitForEvent(u"connect"_s, 15000).value(u"id"_s).toString();
    QVERIFY2(!id.isEmpty(), qPrintable(client.diagnostics()));
    const QJsonArray connected = waitAdminEvent(*admin, u"socket_connected"_s, firstArgIsSocket(id));
    const QJsonObject handshake = connected.at(0).toObject().value(u"handshake"_s).toObject();
    QCOMPARE(handshake.value(u"address"_s).toString(), address);
    QCOMPARE(handshake.value(u"headers"_s).toObject().value(headers.keys().first()), headers.value(headers.keys().first()));
}

void tst_AdminInstrumentation::invalidHash_refusedAtSetup_data()
{
    QTest::addColumn<QByteArray>("hash");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("plain password") << "changeit"_ba;
    QTest::newRow("truncated") << "$2a$04$Oc1Cg/OkNUx9Csk0vwqmQ.Kw/Qg0vROzJfyLL/Z6suoPMYjOC1t"_ba;
    QTest::newRow("md5-crypt") << "$1$abcdefgh$abcdefghijklmnopqrstuv"_ba;
    QTest::newRow("cost out of range") << "$2b$03$Oc1Cg/OkNUx9Csk0vwqmQ.Kw/Qg0vROzJfyLL/Z6suoPMYjOC1tEC"_ba;
}

void tst_AdminInstrumentation::invalidHash_refusedAtSetup()
{
    QFETCH(QByteArray, hash);
    SocketIo::Server io;
    SocketIo::AdminOptions options;
    options.auth = SocketIo::AdminAuth::basic(u"admin"_s, hash);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"admin instrumentation refused: .*bcrypt hash"_s));
    SocketIo::Instrumentation admin(&io, options);
    QVERIFY(!admin.isValid());
    QVERIFY(admin.errorString().contains(u"bcrypt hash"_s));
    QVERIFY(!admin.adminNamespace());
    QVERIFY(!io.findNamespace(u"/admin"_s));   // nothing served, nothing open
}

void tst_AdminInstrumentation::bcrypt_verifyAndHash()
{
    QVERIFY(SocketIo::Instrumentation::verifyPassword(u"changeit"_s, ChangeitHash));
    QVERIFY(!SocketIo::Instrumentation::verifyPassword(u"changeiT"_s, ChangeitHash));
    QVERIFY(!SocketIo::Instrumentation::verifyPassword(u"changeit"_s, "garbage"_ba));
    const QByteArray hash = SocketIo::Instrumentation::hashPassword(u"sésame"_s, 4);
    QVERIFY2(hash.startsWith("$2b$04$"), hash.constData());
    QVERIFY(SocketIo::Instrumentation::isValidPasswordHash(hash));
    QVERIFY(SocketIo::Instrumentation::verifyPassword(u"sésame"_s, hash));
    QVERIFY(!SocketIo::Instrumentation::verifyPassword(u"sesame"_s, hash));
    // $2y$ (PHP) is the same algorithm
    QByteArray y = hash;
    y[2] = 'y';
    QVERIFY(SocketIo::Instrumentation::verifyPassword(u"sésame"_s, y));
    QVERIFY(SocketIo::Instrumentation::hashPassword(u"x"_s, 3).isEmpty());
}

void tst_AdminInstrumentation::socketLifecycle_events()
{
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    auto admin = startAdminClient(server.url());
    QVERIFY(admin);

    QJsonObject line;
    auto client = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &line);
    QVERIFY(client);
    const QString id = line.value(u"id"_s).toString();
    QVERIFY(!id.isEmpty());

    auto byId = [&id](const QJsonArray &a) { return a.at(2).toString() == id || a.at(1).toString() == id; };
    const QJsonArray joined = waitAdminEvent(*admin, u"room_joined"_s, byId);
    QCOMPARE(joined.size(), 4);
    QCOMPARE(joined.at(0).toString(), u"/"_s);
    QCOMPARE(joined.at(1).toString(), id);
    QCOMPARE(joined.at(2).toString(), id);
    QVERIFY(isIsoTimestamp(joined.at(3)));

    const QJsonArray connected = waitAdminEvent(*admin, u"socket_connected"_s, firstArgIsSocket(id));
    QCOMPARE(connected.size(), 2);
    verifySerializedSocket(connected.at(0).toObject(), id, u"/"_s, u"websocket"_s);
    QVERIFY(isIsoTimestamp(connected.at(1)));

    // data assigned in the application's connection handler
    QJsonArray updated = waitAdminEvent(*admin, u"socket_updated"_s);
    QCOMPARE(updated.at(0).toObject(),
             (QJsonObject{{u"id"_s, id}, {u"nsp"_s, u"/"_s}, {u"data"_s, QJsonObject{{u"user"_s, u"alice"_s}}}}));

    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"set-data"_s}, {u"args"_s, QJsonArray{42}}});
    const QJsonArray received = waitAdminEvent(*admin, u"event_received"_s);
    QCOMPARE(received.size(), 4);
    QCOMPARE(received.at(0).toString(), u"/"_s);
    QCOMPARE(received.at(1).toString(), id);
    QCOMPARE(received.at(2).toArray(), (QJsonArray{u"set-data"_s, 42}));
    QVERIFY(isIsoTimestamp(received.at(3)));
    updated = waitAdminEvent(*admin, u"socket_updated"_s);
    QCOMPARE(updated.at(0).toObject().value(u"data"_s).toObject(),
             (QJsonObject{{u"user"_s, u"alice"_s}, {u"value"_s, 42}}));

    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"room-a"_s}}});
    const QJsonArray roomJoined = waitAdminEvent(*admin, u"room_joined"_s,
                                                 [](const QJsonArray &a) { return a.at(1) == u"room-a"_s; });
    QCOMPARE(roomJoined.at(2).toString(), id);
    const QJsonArray sent = waitAdminEvent(*admin, u"event_sent"_s);
    QCOMPARE(sent.at(0).toString(), u"/"_s);
    QCOMPARE(sent.at(1).toString(), id);
    QCOMPARE(sent.at(2).toArray(), (QJsonArray{u"joined"_s, u"room-a"_s}));
    QVERIFY(isIsoTimestamp(sent.at(3)));

    client->send({{u"cmd"_s, u"disconnect"_s}});
    const QJsonArray gone = waitAdminEvent(*admin, u"socket_disconnected"_s);
    QCOMPARE(gone.size(), 4);
    QCOMPARE(gone.at(0).toString(), u"/"_s);
    QCOMPARE(gone.at(1).toString(), id);
    QCOMPARE(gone.at(2).toString(), u"client namespace disconnect"_s);
    QVERIFY(isIsoTimestamp(gone.at(3)));
    QVERIFY(!waitAdminEvent(*admin, u"room_left"_s, [](const QJsonArray &a) { return a.at(1) == u"room-a"_s; }).isEmpty());
    QVERIFY(!waitAdminEvent(*admin, u"room_left"_s, [&id](const QJsonArray &a) { return a.at(1) == id; }).isEmpty());
    // socket.io-admin sends room_left after socket_disconnected (next tick)
    const QStringList names = adminEventNames(*admin);
    QVERIFY(names.indexOf(u"socket_disconnected"_s) < names.indexOf(u"room_left"_s));

    // never reported for the admin namespace itself
    for (const QJsonObject &l : admin->lines()) {
        const QString name = l.value(u"name"_s).toString();
        if (name == u"event_received"_s || name == u"event_sent"_s)
            QCOMPARE(l.value(u"args"_s).toArray().at(0).toString(), u"/"_s);
    }
}

void tst_AdminInstrumentation::transportUpgrade_socketUpdated()
{
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    auto admin = startAdminClient(server.url());
    QVERIFY(admin);
    QJsonObject line;
    auto client = startClient(server.url(), u"/"_s, {}, u"polling,websocket"_s, &line);
    QVERIFY(client);
    const QString id = line.value(u"id"_s).toString();
    const QJsonArray connected = waitAdminEvent(*admin, u"socket_connected"_s, firstArgIsSocket(id));
    QCOMPARE(connected.at(0).toObject().value(u"transport"_s).toString(), u"polling"_s);
    const QJsonArray upgraded = waitAdminEvent(*admin, u"socket_updated"_s, [](const QJsonArray &a) {
        return a.at(0).toObject().contains(u"transport"_s);
    });
    QCOMPARE(upgraded.at(0).toObject(),
             (QJsonObject{{u"id"_s, id}, {u"nsp"_s, u"/"_s}, {u"transport"_s, u"websocket"_s}}));
    // the socket's data carries it for fetchSockets (cluster), and a new admin sees it
    QTRY_COMPARE(server.io->sockets()->socket(id)->data().toMap().value(u"_admin"_s).toMap()
                         .value(u"transport"_s).toString(), u"websocket"_s);
    auto admin2 = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin2);
    const QJsonObject s = findSocket(waitAdminEvent(*admin2, u"all_sockets"_s).at(0).toArray(), id);
    verifySerializedSocket(s, id, u"/"_s, u"websocket"_s);
    QCOMPARE(s.value(u"data"_s).toObject(), (QJsonObject{{u"user"_s, u"alice"_s}}));
}

void tst_AdminInstrumentation::serverStats_fields()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.serverId = u"node-7"_s;
    options.statsInterval = std::chrono::milliseconds(300);
    QVERIFY(server.start(options));
    auto admin = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin);
    auto poller = startClient(server.url(), u"/"_s, {}, u"polling"_s);
    QVERIFY(poller);
    // the polling client's namespace CONNECT may be processed after its Engine.IO handshake was
    // counted: wait for a sample that has both
    const QJsonArray stats = waitAdminEvent(*admin, u"server_stats"_s, [](const QJsonArray &a) {
        const QJsonObject o = a.at(0).toObject();
        if (o.value(u"clientsCount"_s).toInt() != 2)
            return false;
        for (const QJsonValue &n : o.value(u"namespaces"_s).toArray()) {
            if (n.toObject().value(u"name"_s).toString() == u"/"_s)
                return n.toObject().value(u"socketsCount"_s).toInt() == 1;
        }
        return false;
    });
    QVERIFY(!stats.isEmpty());
    const QJsonObject s = stats.at(0).toObject();
    QCOMPARE(s.value(u"serverId"_s).toString(), u"node-7"_s);
    QCOMPARE(s.value(u"hostname"_s).toString(), QSysInfo::machineHostName());
    QCOMPARE(s.value(u"pid"_s).toInteger(), QCoreApplication::applicationPid());
    QVERIFY(s.value(u"uptime"_s).isDouble() && s.value(u"uptime"_s).toDouble() > 0);
    QCOMPARE(s.value(u"pollingClientsCount"_s).toInt(), 1);
    QJsonObject counts;
    for (const QJsonValue &n : s.value(u"namespaces"_s).toArray())
        counts.insert(n.toObject().value(u"name"_s).toString(), n.toObject().value(u"socketsCount"_s));
    QCOMPARE(counts, (QJsonObject{{u"/"_s, 1}, {u"/admin"_s, 1}}));
    QVERIFY(s.value(u"aggregatedEvents"_s).isArray());
    QSet<QString> buckets;
    for (const QJsonValue &e : s.value(u"aggregatedEvents"_s).toArray()) {
        const QJsonObject o = e.toObject();
        QCOMPARE(qint64(o.value(u"timestamp"_s).toDouble()) % 1000, 0);   // bucketed per second
        QVERIFY(o.value(u"type"_s).isString());
        QVERIFY(o.value(u"count"_s).toInt() > 0);
        // one entry per (second, type, subType): counts are merged, not listed
        const QString key = u"%1;%2;%3"_s.arg(o.value(u"timestamp"_s).toDouble(), 0, 'f', 0)
                                    .arg(o.value(u"type"_s).toString(), o.value(u"subType"_s).toString(u"-"_s));
        QVERIFY2(!buckets.contains(key), qPrintable(key));
        buckets.insert(key);
    }
    QVERIFY(buckets.size() >= 2);   // at least the previous server_stats: packetsOut, bytesOut
    // every interval, to every admin socket
    QVERIFY(!waitAdminEvent(*admin, u"server_stats"_s).isEmpty());
}

void tst_AdminInstrumentation::production_onlyStats_exactCounters()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.mode = SocketIo::AdminOptions::Mode::Production;
    options.statsInterval = std::chrono::milliseconds(250);
    QVERIFY(server.start(options));
    QCOMPARE(server.admin->supportedFeatures(),
             (QStringList{u"EMIT"_s, u"JOIN"_s, u"LEAVE"_s, u"DISCONNECT"_s, u"MJOIN"_s, u"MLEAVE"_s,
                          u"MDISCONNECT"_s, u"AGGREGATED_EVENTS"_s}));
    auto admin = startClient(server.url(), u"/admin"_s, {}, u"websocket"_s, nullptr, true);
    QVERIFY(admin);
    const QJsonArray config = waitAdminEvent(*admin, u"config"_s);
    QCOMPARE(toStringList(config.at(0).toObject().value(u"supportedFeatures"_s)), server.admin->supportedFeatures());
    // baseline: the first statistics after the admin is connected
    waitAdminEvent(*admin, u"server_stats"_s);
    const qsizetype baseline = admin->lines().size();

    auto client = startClient(server.url(), u"/"_s, {}, u"websocket"_s);
    QVERIFY(client);
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"hello"_s}, {u"args"_s, QJsonArray{u"x"_s}}});
    client->send({{u"cmd"_s, u"disconnect"_s}});
    QVERIFY(!waitAdminEvent(*admin, u"server_stats"_s, reportsDisconnection).isEmpty());

    // add up what the statistics after the baseline report; compare with what the peers did
    const StatsTotals stats = collectStats(*admin, baseline);
    QVERIFY2(stats.error.isEmpty(), qPrintable(stats.error));
    QCOMPARE(stats.otherEvents, QStringList());   // production: nothing but server_stats
    QCOMPARE(stats.totals.value(u"rawConnection"_s), 1);
    QCOMPARE(stats.totals.value(u"rawDisconnection"_s), 1);
    QCOMPARE(stats.disconnectReasons, QStringList{u"transport close"_s});
    // in: "0" (CONNECT to /), "2[\"hello\",\"x\"]", "1" (DISCONNECT); the admin client sent only pongs
    QCOMPARE(stats.totals.value(u"packetsIn"_s), 3);
    QCOMPARE(stats.totals.value(u"bytesIn"_s), 1 + 14 + 1);
    // out: the CONNECT reply 0{"sid":"<20 chars>"} (31 bytes) plus each server_stats packet
    QCOMPARE(stats.totals.value(u"packetsOut"_s), stats.statsPackets + 1);
    QCOMPARE(stats.totals.value(u"bytesOut"_s), stats.statsBytes + 31);
    QVERIFY(!adminEventNames(*admin).contains(u"all_sockets"_s));
}

void tst_AdminInstrumentation::commands_filters()
{
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    auto admin = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin);
    QJsonObject la, lb;
    auto a = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &la);
    auto b = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &lb);
    QVERIFY(a && b);
    const QString idA = la.value(u"id"_s).toString();
    const QString idB = lb.value(u"id"_s).toString();
    SocketIo::Namespace *root = server.io->sockets();
    auto command = [&admin](const QString &name, const QJsonArray &args) {
        admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, name}, {u"args"_s, args}});
    };
    auto rooms = [root](const QString &id) { return root->socket(id) ? root->socket(id)->rooms() : QSet<QString>(); };

    // join with a socket id as filter: only that socket
    command(u"join"_s, {u"/"_s, u"room-x"_s, idA});
    QCOMPARE(waitAdminEvent(*admin, u"room_joined"_s, [](const QJsonArray &x) { return x.at(1) == u"room-x"_s; }).at(2).toString(), idA);
    QVERIFY(!rooms(idB).contains(u"room-x"_s));
    // join without filter: everyone in the namespace
    command(u"join"_s, {u"/"_s, u"room-y"_s});
    QTRY_VERIFY(rooms(idA).contains(u"room-y"_s) && rooms(idB).contains(u"room-y"_s));
    // emit to a room filter, then to everyone (null filter, as the UI sends it)
    command(u"emit"_s, {u"/"_s, u"room-x"_s, u"hello"_s, 1, u"two"_s});
    const QJsonObject hello = a->waitForReceived(u"hello"_s);
    QCOMPARE(hello.value(u"args"_s).toArray(), (QJsonArray{1, u"two"_s}));
    command(u"emit"_s, {u"/"_s, QJsonValue(), u"all-hello"_s});
    QVERIFY(!b->waitForReceived(u"all-hello"_s).isEmpty());
    QVERIFY(!a->waitForReceived(u"all-hello"_s).isEmpty());
    for (const QJsonObject &l : b->lines())
        QVERIFY(l.value(u"name"_s) != u"hello"_s);
    // leave with a socket filter, then with no filter (clear the room)
    command(u"leave"_s, {u"/"_s, u"room-y"_s, idB});
    QTRY_VERIFY(!rooms(idB).contains(u"room-y"_s));
    QVERIFY(rooms(idA).contains(u"room-y"_s));
    command(u"leave"_s, {u"/"_s, u"room-y"_s});
    QTRY_VERIFY(!rooms(idA).contains(u"room-y"_s));
    QVERIFY(!waitAdminEvent(*admin, u"room_left"_s, [&idA](const QJsonArray &x) {
                 return x.at(1) == u"room-y"_s && x.at(2) == idA; }).isEmpty());
    // disconnect by room filter: A (in room-x) leaves the namespace, its connection stays
    command(u"_disconnect"_s, {u"/"_s, false, u"room-x"_s});
    const QJsonArray gone = waitAdminEvent(*admin, u"socket_disconnected"_s);
    QCOMPARE(gone.at(1).toString(), idA);
    QCOMPARE(gone.at(2).toString(), u"server namespace disconnect"_s);
    QCOMPARE(a->waitForEvent(u"disconnect"_s).value(u"reason"_s).toString(), u"io server disconnect"_s);
    QVERIFY(root->socket(idB));
    // disconnect B with close: its whole Engine.IO connection goes
    const int before = server.io->engine()->clientsCount();
    command(u"_disconnect"_s, {u"/"_s, true, idB});
    QCOMPARE(waitAdminEvent(*admin, u"socket_disconnected"_s).at(1).toString(), idB);
    QVERIFY(!b->waitForEvent(u"disconnect"_s).isEmpty());
    QTRY_COMPARE(server.io->engine()->clientsCount(), before - 1);
}

void tst_AdminInstrumentation::readonly_commandsIgnored()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.readonly = true;
    QVERIFY(server.start(options));
    auto admin = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin);
    const QJsonArray config = waitAdminEvent(*admin, u"config"_s);
    QCOMPARE(toStringList(config.at(0).toObject().value(u"supportedFeatures"_s)),
             (QStringList{u"AGGREGATED_EVENTS"_s, u"ALL_EVENTS"_s}));
    QJsonObject line;
    auto client = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &line);
    QVERIFY(client);
    const QString id = line.value(u"id"_s).toString();
    SocketIo::Socket *adminSocket = server.admin->adminNamespace()->sockets().value(0);
    QVERIFY(adminSocket);
    QSignalSpy received(adminSocket, &SocketIo::Socket::eventReceived);
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"/"_s, u"room-z"_s, id}}});
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"_disconnect"_s}, {u"args"_s, QJsonArray{u"/"_s, true}}});
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 2, 10000);   // dispatched: no handler ran
    QVERIFY(server.io->sockets()->socket(id));
    QVERIFY(!server.io->sockets()->socket(id)->rooms().contains(u"room-z"_s));
}

void tst_AdminInstrumentation::dynamicNamespaces_instrumented()
{
    TestServer server;
    SocketIo::AdminOptions options;
    options.statsInterval = std::chrono::milliseconds(300);
    QVERIFY(server.start(options));
    auto admin = startAdminClient(server.url());
    QVERIFY(admin);
    QJsonObject line;
    auto dyn = startClient(server.url(), u"/dyn-1"_s, {}, u"websocket"_s, &line);
    QVERIFY(dyn);
    QCOMPARE(line.value(u"event"_s).toString(), u"connect"_s);
    const QString id = line.value(u"id"_s).toString();
    const QJsonArray connected = waitAdminEvent(*admin, u"socket_connected"_s, firstArgIsSocket(id));
    QCOMPARE(connected.at(0).toObject().value(u"nsp"_s).toString(), u"/dyn-1"_s);
    dyn->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"ping"_s}, {u"args"_s, QJsonArray{}}});
    QCOMPARE(waitAdminEvent(*admin, u"event_received"_s).at(0).toString(), u"/dyn-1"_s);
    // a static namespace created after the instrumentation too
    server.io->of(u"/late"_s);
    QJsonObject lateLine;
    auto late = startClient(server.url(), u"/late"_s, {}, u"websocket"_s, &lateLine);
    QVERIFY(late);
    const QString lateId = lateLine.value(u"id"_s).toString();
    QCOMPARE(waitAdminEvent(*admin, u"socket_connected"_s, [&lateId](const QJsonArray &a) {
                 return a.at(0).toObject().value(u"id"_s) == lateId; }).at(0).toObject().value(u"nsp"_s).toString(),
             u"/late"_s);
    const QJsonArray stats = waitAdminEvent(*admin, u"server_stats"_s, [](const QJsonArray &a) {
        return a.at(0).toObject().value(u"namespaces"_s).toArray().size() == 4;
    });
    QStringList names;
    for (const QJsonValue &n : stats.at(0).toObject().value(u"namespaces"_s).toArray())
        names.append(n.toObject().value(u"name"_s).toString());
    names.sort();
    QCOMPARE(names, (QStringList{u"/"_s, u"/admin"_s, u"/dyn-1"_s, u"/late"_s}));
    // all_sockets covers every namespace
    auto admin2 = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin2);
    const QJsonArray all = waitAdminEvent(*admin2, u"all_sockets"_s).at(0).toArray();
    QCOMPARE(findSocket(all, id).value(u"nsp"_s).toString(), u"/dyn-1"_s);
    QCOMPARE(findSocket(all, lateId).value(u"nsp"_s).toString(), u"/late"_s);
}

void tst_AdminInstrumentation::badCommands_loggedAndIgnored_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QJsonArray>("args");
    QTest::newRow("join: namespace not a string") << u"join"_s << QJsonArray{42, u"r"_s};
    QTest::newRow("join: room an object") << u"join"_s << QJsonArray{u"/"_s, QJsonObject{{u"a"_s, 1}}};
    QTest::newRow("leave: no arguments") << u"leave"_s << QJsonArray{};
    QTest::newRow("leave: filter a number") << u"leave"_s << QJsonArray{u"/"_s, u"r"_s, 7};
    QTest::newRow("_disconnect: close a string") << u"_disconnect"_s << QJsonArray{u"/"_s, u"yes"_s};
    QTest::newRow("emit: event a number") << u"emit"_s << QJsonArray{u"/"_s, QJsonValue(), 5};
    QTest::newRow("emit: filter an array") << u"emit"_s << QJsonArray{u"/"_s, QJsonArray{1}, u"ev"_s};
}

void tst_AdminInstrumentation::badCommands_loggedAndIgnored()
{
    QFETCH(QString, command);
    QFETCH(QJsonArray, args);
    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    auto admin = startClient(server.url(), u"/admin"_s);
    QVERIFY(admin);
    QJsonObject line;
    auto client = startClient(server.url(), u"/"_s, {}, u"websocket"_s, &line);
    QVERIFY(client);
    const QString id = line.value(u"id"_s).toString();
    SocketIo::Socket *adminSocket = server.admin->adminNamespace()->sockets().value(0);
    QVERIFY(adminSocket);
    QSignalSpy received(adminSocket, &SocketIo::Socket::eventReceived);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"admin command %1 ignored: "_s.arg(command)));
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, command}, {u"args"_s, args}});
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10000);
    // nothing disturbed: both peers still connected, and the next good command works
    QVERIFY(server.io->sockets()->socket(id));
    QCOMPARE(server.admin->adminNamespace()->socketCount(), 1);
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"/"_s, u"ok"_s, id}}});
    QVERIFY(!waitAdminEvent(*admin, u"room_joined"_s, [](const QJsonArray &a) { return a.at(1) == u"ok"_s; }).isEmpty());
}

QTEST_MAIN(tst_AdminInstrumentation)
#include "tst_admin_instrumentation.moc"

// Differential test: the same client scenario against the real thing (socket.io@4.8.4 with the
// pinned @socket.io/admin-ui's instrument(), tests/interop/js/admin-reference-server.js) and
// against our instrumented server; the admin event streams must match in names, order, keys,
// types and every value that is not random (ids are replaced by names, timestamps by "<ts>",
// handshakes by their shape).
#include "admintesthelpers.h"

#include <QJsonDocument>
#include <QTest>

using namespace AdminTest;
using SocketIo::Test::NodeProcess;

namespace {

/*! {"key": "type"} of a JSON object, recursively for objects. */
QJsonValue shape(const QJsonValue &v)
{
    if (v.isObject()) {
        QJsonObject out;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            out.insert(it.key(), shape(it.value()));
        return out;
    }
    if (v.isArray())
        return u"array"_s;
    if (v.isString())
        return u"string"_s;
    if (v.isDouble())
        return u"number"_s;
    if (v.isBool())
        return u"boolean"_s;
    return u"null"_s;
}

struct Normaliser
{
    QHash<QString, QString> ids;   // socket id -> name

    QJsonValue operator()(const QJsonValue &v, const QString &key = QString()) const
    {
        if (key == u"handshake"_s) {
            QJsonObject h = shape(v).toObject();
            h.insert(u"url"_s, v.toObject().value(u"url"_s));
            h.insert(u"address"_s, v.toObject().value(u"address"_s));
            h.insert(u"query"_s, v.toObject().value(u"query"_s));
            h.insert(u"xdomain"_s, v.toObject().value(u"xdomain"_s));
            h.insert(u"secure"_s, v.toObject().value(u"secure"_s));
            // the header names themselves: the same client sends the same request to both
            QStringList names = v.toObject().value(u"headers"_s).toObject().keys();
            names.sort();
            h.insert(u"headerNames"_s, QJsonArray::fromStringList(names));
            return h;
        }
        if (key == u"clientId"_s)
            return u"<clientId:%1>"_s.arg(v.toString().size());
        if (v.isString()) {
            const QString s = v.toString();
            if (ids.contains(s))
                return u"<%1>"_s.arg(ids.value(s));
            if (isIsoTimestamp(v))
                return u"<ts>"_s;
            return s;
        }
        if (v.isArray()) {
            QJsonArray out;
            for (const QJsonValue &x : v.toArray())
                out.append((*this)(x));
            return out;
        }
        if (v.isObject()) {
            QJsonObject out;
            const QJsonObject o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it)
                out.insert(it.key(), (*this)(it.value(), it.key()));
            return out;
        }
        return v;
    }
};

struct Run
{
    QStringList events;      // normalised "name args" lines, in order (server_stats left out)
    QJsonObject statsShape;  // shape of one server_stats
    QStringList aggregatedTypes;
};

/*! Runs the scenario against \a url and returns the admin's normalised stream. */
Run runScenario(const QString &url)
{
    Run run;
    QJsonObject line;
    auto admin = startClient(url, u"/admin"_s, {}, u"websocket"_s, &line);
    if (!admin || line.value(u"event"_s) != u"connect"_s) {
        qWarning("admin did not connect to %s", qPrintable(url));
        return run;
    }
    Normaliser norm;
    norm.ids.insert(line.value(u"id"_s).toString(), u"admin"_s);
    auto fail = [&run](const char *step) {
        qWarning("scenario step timed out: %s", step);
        run.events.append(u"TIMEOUT "_s + QString::fromLatin1(step));
        return run;
    };
    if (waitAdminEvent(*admin, u"all_sockets"_s).isEmpty())
        return fail("all_sockets");

    // 1. a client connects to "/"; the application sets data.user
    auto a = startClient(url, u"/"_s, {}, u"websocket"_s, &line);
    if (!a)
        return fail("client A connect");
    const QString idA = line.value(u"id"_s).toString();
    norm.ids.insert(idA, u"A"_s);
    if (waitAdminEvent(*admin, u"socket_updated"_s).isEmpty())
        return fail("socket_updated user");
    // 2. an event that makes the application set data.value
    a->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"set-data"_s}, {u"args"_s, QJsonArray{7, u"x"_s}}});
    if (waitAdminEvent(*admin, u"socket_updated"_s).isEmpty())
        return fail("socket_updated value");
    // 3. an event that makes the application join a room and answer
    a->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"room-a"_s}}});
    if (waitAdminEvent(*admin, u"event_sent"_s).isEmpty())
        return fail("event_sent");
    // 4. the admin's join and leave commands with a socket id as filter
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"/"_s, u"room-b"_s, idA}}});
    if (waitAdminEvent(*admin, u"room_joined"_s, [](const QJsonArray &x) { return x.at(1) == u"room-b"_s; }).isEmpty())
        return fail("room_joined room-b");
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"leave"_s}, {u"args"_s, QJsonArray{u"/"_s, u"room-b"_s, idA}}});
    if (waitAdminEvent(*admin, u"room_left"_s, [](const QJsonArray &x) { return x.at(1) == u"room-b"_s; }).isEmpty())
        return fail("room_left room-b");
    // 5. a dynamic namespace
    auto d = startClient(url, u"/dyn-1"_s, {}, u"websocket"_s, &line);
    if (!d)
        return fail("client D connect");
    norm.ids.insert(line.value(u"id"_s).toString(), u"D"_s);
    if (waitAdminEvent(*admin, u"socket_connected"_s, [](const QJsonArray &x) {
            return x.at(0).toObject().value(u"nsp"_s) == u"/dyn-1"_s; }).isEmpty())
        return fail("socket_connected dyn");
    // 6. the admin disconnects A; then D leaves by itself
    admin->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"_disconnect"_s}, {u"args"_s, QJsonArray{u"/"_s, false, idA}}});
    if (waitAdminEvent(*admin, u"room_left"_s, [&idA](const QJsonArray &x) { return x.at(1) == idA; }).isEmpty())
        return fail("room_left A");
    d->send({{u"cmd"_s, u"disconnect"_s}});
    if (waitAdminEvent(*admin, u"room_left"_s, [](const QJsonArray &x) { return x.at(0) == u"/dyn-1"_s; }).isEmpty())
        return fail("room_left D");
    // one more server_stats, for its shape: one that counts D's engine closing, which may come
    // after its room_left (a stats period that ended in between reports it only in the next one)
    const QJsonArray stats = waitAdminEvent(*admin, u"server_stats"_s, reportsDisconnection, 5000);
    if (stats.isEmpty())
        return fail("server_stats");

    QList<QJsonObject> lines = admin->lines();
    QStringList runOfRoomLeft;
    auto flush = [&run, &runOfRoomLeft] {
        runOfRoomLeft.sort();   // socket.io leaves rooms in join order, we in set order
        run.events.append(runOfRoomLeft);
        runOfRoomLeft.clear();
    };
    for (const QJsonObject &l : lines) {
        if (l.value(u"event"_s) != u"event"_s)
            continue;
        const QString name = l.value(u"name"_s).toString();
        if (name == u"server_stats"_s) {
            const QJsonObject s = l.value(u"args"_s).toArray().at(0).toObject();
            run.statsShape = shape(s).toObject();
            run.statsShape.remove(u"aggregatedEvents"_s);
            for (const QJsonValue &e : s.value(u"aggregatedEvents"_s).toArray()) {
                const QString t = e.toObject().value(u"type"_s).toString()
                        + (e.toObject().contains(u"subType"_s) ? u"/"_s + e.toObject().value(u"subType"_s).toString() : QString());
                if (!run.aggregatedTypes.contains(t))
                    run.aggregatedTypes.append(t);
            }
            continue;
        }
        const QString text = name + u' '
                + QString::fromUtf8(QJsonDocument(norm(l.value(u"args"_s)).toArray()).toJson(QJsonDocument::Compact));
        if (name == u"room_left"_s) {
            runOfRoomLeft.append(text);
            continue;
        }
        flush();
        run.events.append(text);
    }
    flush();
    run.aggregatedTypes.sort();
    return run;
}

/*! Production mode, counters only: one client connects, sends two events, gets one, leaves. */
StatsTotals runCounterScenario(const QString &url)
{
    StatsTotals failed;
    QJsonObject line;
    auto admin = startClient(url, u"/admin"_s, {}, u"websocket"_s, &line, true);
    if (!admin || line.value(u"event"_s) != u"connect"_s) {
        failed.error = u"admin did not connect"_s;
        return failed;
    }
    if (waitAdminEvent(*admin, u"server_stats"_s).isEmpty()) {
        failed.error = u"no first server_stats"_s;
        return failed;
    }
    const qsizetype baseline = admin->lines().size();
    auto client = startClient(url, u"/"_s, {}, u"websocket"_s);
    if (!client) {
        failed.error = u"client did not connect"_s;
        return failed;
    }
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"hello"_s}, {u"args"_s, QJsonArray{u"x"_s}}});
    client->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"r"_s}}});
    if (client->waitForReceived(u"joined"_s).isEmpty()) {
        failed.error = u"no joined"_s;
        return failed;
    }
    client->send({{u"cmd"_s, u"disconnect"_s}});
    if (waitAdminEvent(*admin, u"server_stats"_s, reportsDisconnection).isEmpty()) {
        failed.error = u"no rawDisconnection"_s;
        return failed;
    }
    return collectStats(*admin, baseline);
}

} // namespace

class tst_AdminDifferential : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { SOCKETIO_REQUIRE_NODE(); }
    void sameAdminStreamAsOfficialInstrument();
    void sameCountersAsOfficialInstrument();
};

void tst_AdminDifferential::sameAdminStreamAsOfficialInstrument()
{
    NodeProcess reference;
    QVERIFY(reference.start(u"admin-reference-server.js"_s));
    const QJsonObject listening = reference.waitForEvent(u"listening"_s);
    QVERIFY2(!listening.isEmpty(), qPrintable(reference.diagnostics()));
    const Run theirs = runScenario(listening.value(u"url"_s).toString());

    TestServer server;
    QVERIFY(server.start(SocketIo::AdminOptions()));
    const Run ours = runScenario(server.url());

    QVERIFY(theirs.events.size() > 15);
    if (ours.events != theirs.events || qEnvironmentVariableIsSet("SOCKETIO_ADMIN_DIFF_PRINT")) {
        for (qsizetype i = 0; i < qMax(ours.events.size(), theirs.events.size()); ++i) {
            const QString o = ours.events.value(i);
            const QString t = theirs.events.value(i);
            qWarning("%s %lld\n  ours:   %s\n  theirs: %s", o == t ? "  " : "!!", qlonglong(i),
                     qPrintable(o), qPrintable(t));
        }
    }
    QCOMPARE(ours.events, theirs.events);
    QCOMPARE(ours.statsShape, theirs.statsShape);
    // every kind of aggregated event the official server reported in this scenario, we did too
    for (const QString &type : theirs.aggregatedTypes)
        QVERIFY2(ours.aggregatedTypes.contains(type), qPrintable(type + u" missing; ours: "_s + ours.aggregatedTypes.join(u',')));
}

void tst_AdminDifferential::sameCountersAsOfficialInstrument()
{
    NodeProcess reference;
    QVERIFY(reference.start(u"admin-reference-server.js"_s, {u"--production"_s}));
    const QJsonObject listening = reference.waitForEvent(u"listening"_s);
    QVERIFY2(!listening.isEmpty(), qPrintable(reference.diagnostics()));
    const StatsTotals theirs = runCounterScenario(listening.value(u"url"_s).toString());
    QVERIFY2(theirs.error.isEmpty(), qPrintable(theirs.error));

    TestServer server;
    SocketIo::AdminOptions options;
    options.mode = SocketIo::AdminOptions::Mode::Production;
    options.statsInterval = std::chrono::milliseconds(500);
    QVERIFY(server.start(options));
    const StatsTotals ours = runCounterScenario(server.url());
    QVERIFY2(ours.error.isEmpty(), qPrintable(ours.error));

    QCOMPARE(ours.otherEvents, theirs.otherEvents);
    QCOMPARE(ours.disconnectReasons, theirs.disconnectReasons);
    for (const QString &type : {u"rawConnection"_s, u"rawDisconnection"_s, u"packetsIn"_s, u"bytesIn"_s}) {
        QVERIFY2(ours.totals.value(type) == theirs.totals.value(type),
                 qPrintable(u"%1: ours %2, theirs %3"_s.arg(type).arg(ours.totals.value(type)).arg(theirs.totals.value(type))));
    }
    // what the application traffic added, the server_stats packets to the admin taken out
    QCOMPARE(ours.totals.value(u"packetsOut"_s) - ours.statsPackets,
             theirs.totals.value(u"packetsOut"_s) - theirs.statsPackets);
    QCOMPARE(ours.totals.value(u"bytesOut"_s) - ours.statsBytes,
             theirs.totals.value(u"bytesOut"_s) - theirs.statsBytes);
    QVERIFY(theirs.totals.value(u"packetsIn"_s) > 0);
}

QTEST_MAIN(tst_AdminDifferential)
#include "tst_admin_differential.moc"

// Helpers shared by the admin instrumentation tests: an instrumented C++ server with the same
// application handlers as tests/interop/js/admin-reference-server.js, and real socket.io-client
// peers (tests/interop/js/client-scenario.js) for the admin UI and for application clients.
#pragma once

#include "nodeprocess.h"

#include <SocketIo/instrumentation.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

namespace AdminTest {

/*! bcryptjs.hashSync("changeit", 4): a hash made by the implementation the official server uses. */
inline const QByteArray ChangeitHash = "$2a$04$Oc1Cg/OkNUx9Csk0vwqmQ.Kw/Qg0vROzJfyLL/Z6suoPMYjOC1tEC"_ba;

/*! The instrumented C++ server: "/" sets data.user = "alice" on connection, "join" (room) joins
    and answers "joined", "set-data" (value) sets data.value; /^\/dyn-\d+$/ is dynamic. */
struct TestServer
{
    std::unique_ptr<SocketIo::Server> io;
    std::unique_ptr<SocketIo::Instrumentation> admin;

    bool start(const SocketIo::AdminOptions &options)
    {
        SocketIo::ServerOptions serverOptions;
        serverOptions.cors.enabled = true;
        serverOptions.cors.origins = {u"*"_s};
        serverOptions.cors.credentials = true;
        io = std::make_unique<SocketIo::Server>(serverOptions);
        admin = std::make_unique<SocketIo::Instrumentation>(io.get(), options);
        if (!admin->isValid())
            return false;
        SocketIo::Server *server = io.get();
        QObject::connect(server, &SocketIo::Server::connection, server, [](SocketIo::Socket *socket) {
            QCborMap data = socket->data().toMap();
            data.insert(u"user"_s, u"alice"_s);
            socket->setData(data);
            socket->on(u"join"_s, socket, [socket](const SocketIo::Message &m) {
                const QString room = m.args().at(0).toString();
                socket->join(room);
                socket->emitEvent(u"joined"_s, {room});
            });
            socket->on(u"set-data"_s, socket, [socket](const SocketIo::Message &m) {
                QCborMap data = socket->data().toMap();
                data.insert(u"value"_s, m.args().at(0));
                socket->setData(data);
            });
        });
        io->of(QRegularExpression(u"^/dyn-\\d+$"_s));
        return io->listen(QHostAddress::LocalHost, 0);
    }
    QString url() const { return u"http://127.0.0.1:%1"_s.arg(io->serverPort()); }
};

/*! A socket.io-client peer on \a nsp of \a url; returns it once connected (or refused: check
    \a connectLine's "event"). */
inline std::unique_ptr<SocketIo::Test::NodeProcess>
startClient(const QString &url, const QString &nsp, const QJsonObject &auth = {},
            const QString &transports = u"websocket"_s, QJsonObject *connectLine = nullptr,
            bool tracePackets = false)
{
    auto client = std::make_unique<SocketIo::Test::NodeProcess>();
    QStringList args{u"--url"_s, url, u"--namespace"_s, nsp, u"--transports"_s, transports};
    if (!auth.isEmpty())
        args << u"--auth"_s << QString::fromUtf8(QJsonDocument(auth).toJson(QJsonDocument::Compact));
    if (tracePackets)
        args << u"--trace-packets"_s << u"true"_s;
    if (!client->start(u"client-scenario.js"_s, args))
        return nullptr;
    const QJsonObject line = client->waitForLine([](const QJsonObject &l) {
        const QString e = l.value(u"event"_s).toString();
        return e == u"connect"_s || e == u"connect_error"_s;
    }, 15000);
    if (connectLine)
        *connectLine = line;
    if (line.isEmpty())
        return nullptr;
    return client;
}

/*! Waits for the admin event \a name (args matching \a predicate); returns its args or an empty
    array on timeout. */
inline QJsonArray waitAdminEvent(SocketIo::Test::NodeProcess &admin, const QString &name,
                                 const std::function<bool(const QJsonArray &)> &predicate = {},
                                 int timeoutMs = 10000)
{
    const QJsonObject line = admin.waitForLine([&](const QJsonObject &l) {
        return l.value(u"event"_s).toString() == u"event"_s && l.value(u"name"_s).toString() == name
            && (!predicate || predicate(l.value(u"args"_s).toArray()));
    }, timeoutMs);
    return line.value(u"args"_s).toArray();
}

/*! A waitAdminEvent() predicate: the event's first argument is the serialized socket \a id (as
    in socket_connected). */
inline std::function<bool(const QJsonArray &)> firstArgIsSocket(const QString &id)
{
    return [id](const QJsonArray &a) { return a.at(0).toObject().value(u"id"_s) == id; };
}

/*! An admin client (no auth) on "/admin" of \a url, returned once it has received all_sockets;
    nullptr when it did not connect or all_sockets did not come. */
inline std::unique_ptr<SocketIo::Test::NodeProcess> startAdminClient(const QString &url)
{
    auto admin = startClient(url, u"/admin"_s);
    if (admin && waitAdminEvent(*admin, u"all_sockets"_s).isEmpty())
        return nullptr;
    return admin;
}

/*! ISO-8601 UTC with milliseconds, as JSON.stringify writes a Date. */
inline bool isIsoTimestamp(const QJsonValue &v)
{
    static const QRegularExpression re(u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"_s);
    return v.isString() && re.match(v.toString()).hasMatch();
}

/*! What the server_stats after a baseline add up to (see collectStats()). */
struct StatsTotals
{
    QHash<QString, qint64> totals;     // type -> summed count
    QStringList disconnectReasons;     // rawDisconnection subTypes
    qint64 statsPackets = 0;           // server_stats packets queued in the windows summed up
    qint64 statsBytes = 0;             // and their data size
    QStringList otherEvents;           // admin events other than server_stats after the baseline
    QString error;                     // empty when the lines made sense
};

/*!
  Sums the aggregatedEvents of every server_stats that \a admin (a client-scenario.js peer started
  with packet tracing) received after the last one among its first \a baseline lines. A
  server_stats packet is queued after its window was read, so it is counted in the next window:
  the sizes of the baseline's and the following packets (but the last) are what the windows saw.
*/
inline StatsTotals collectStats(const SocketIo::Test::NodeProcess &admin, qsizetype baseline)
{
    StatsTotals r;
    qint64 currentStatsBytes = -1;    // size of the stats packet whose event line comes next
    qint64 previousStatsBytes = -1;   // size of the one before: queued during the next window
    bool accounting = false;
    const QList<QJsonObject> lines = admin.lines();
    // the baseline: the last server_stats received before index baseline (more than one may have
    // been read by then on a slow machine; any of them is fine, the peers were still idle)
    qsizetype baselineLine = -1;
    for (qsizetype i = 0; i < qMin(baseline, lines.size()); ++i) {
        if (lines.at(i).value(u"event"_s) == u"event"_s && lines.at(i).value(u"name"_s) == u"server_stats"_s)
            baselineLine = i;
    }
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QJsonObject &l = lines.at(i);
        if (l.value(u"event"_s) == u"packet"_s && l.value(u"direction"_s) == u"in"_s
            && l.value(u"data"_s).toString().startsWith(u"2/admin,[\"server_stats\""_s)) {
            currentStatsBytes = l.value(u"data"_s).toString().toUtf8().size();
            continue;
        }
        if (l.value(u"event"_s) != u"event"_s)
            continue;
        const QString name = l.value(u"name"_s).toString();
        if (!accounting) {
            if (i == baselineLine) {
                if (name != u"server_stats"_s || currentStatsBytes <= 0) {
                    r.error = u"the baseline line is not a traced server_stats"_s;
                    return r;
                }
                previousStatsBytes = currentStatsBytes;
                accounting = true;
            }
            continue;
        }
        if (name != u"server_stats"_s) {
            r.otherEvents.append(name);
            continue;
        }
        r.statsPackets += 1;
        r.statsBytes += previousStatsBytes;
        previousStatsBytes = currentStatsBytes;
        const QJsonArray events = l.value(u"args"_s).toArray().at(0).toObject().value(u"aggregatedEvents"_s).toArray();
        for (const QJsonValue &e : events) {
            const QJsonObject o = e.toObject();
            r.totals[o.value(u"type"_s).toString()] += o.value(u"count"_s).toInteger();
            if (o.value(u"type"_s) == u"rawDisconnection"_s)
                r.disconnectReasons.append(o.value(u"subType"_s).toString());
        }
    }
    if (!accounting)
        r.error = u"no baseline"_s;
    return r;
}

/*! True when \a args (a server_stats) reports a rawDisconnection. */
inline bool reportsDisconnection(const QJsonArray &args)
{
    for (const QJsonValue &e : args.at(0).toObject().value(u"aggregatedEvents"_s).toArray()) {
        if (e.toObject().value(u"type"_s) == u"rawDisconnection"_s)
            return true;
    }
    return false;
}

} // namespace AdminTest

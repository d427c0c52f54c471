#include "instrumentation.h"
#include "instrumentation_p.h"

#include <SocketIo/adapter.h>
#include <SocketIo/broadcastoperator.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSysInfo>
#include <QThread>

#include <crypt.h>

#include <cstring>
#include <memory>

namespace SocketIo {

Q_LOGGING_CATEGORY(lcAdmin, "socketio.admin", QtWarningMsg)

namespace {

const QString AdminKey = QStringLiteral("_admin");

// Started when the library is loaded, i.e. at process start for programs linked to it: the
// stand-in for Node's process.uptime().
const QElapsedTimer &processClock()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock;
}
[[maybe_unused]] const QElapsedTimer &processClockAtLoad = processClock();

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

/*! A string argument, or a null QString for anything else. */
QString stringArg(const QCborArray &args, qsizetype index)
{
    const QCborValue v = args.at(index);
    return v.isString() ? v.toString() : QString();
}

} // namespace

// ---- AdminAuth -------------------------------------------------------------------------------

AdminAuth AdminAuth::basic(const QString &username, const QByteArray &passwordHash)
{
    AdminAuth auth;
    auth.type = Type::Basic;
    auth.username = username;
    auth.passwordHash = passwordHash;
    return auth;
}

// ---- AdminEventBuffer ------------------------------------------------------------------------

void AdminEventBuffer::push(const QString &type, const QString &subType, qint64 count)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 second = now - now % 1000;
    // newest first; older seconds cannot match (a clock stepping back only costs a new bucket)
    for (qsizetype i = m_entries.size() - 1; i >= 0; --i) {
        Entry &e = m_entries[i];
        if (e.timestamp != second)
            break;
        if (e.type == type && e.subType.isNull() == subType.isNull() && e.subType == subType) {
            e.count += count;
            return;
        }
    }
    m_entries.append(Entry{second, type, subType, count});
}

QCborArray AdminEventBuffer::takeValues()
{
    QCborArray values;
    for (const Entry &e : std::as_const(m_entries)) {
        QCborMap m;
        m.insert(QStringLiteral("timestamp"), e.timestamp);
        m.insert(QStringLiteral("type"), e.type);
        if (!e.subType.isNull())
            m.insert(QStringLiteral("subType"), e.subType);
        m.insert(QStringLiteral("count"), e.count);
        values.append(m);
    }
    m_entries.clear();
    return values;
}

// ---- InstrumentationPrivate ------------------------------------------------------------------

InstrumentationPrivate::InstrumentationPrivate(Instrumentation *q)
    : q_ptr(q)
{
}

bool InstrumentationPrivate::validate()
{
    if (!server) {
        error = QStringLiteral("no server to instrument");
        return false;
    }
    // every hook runs as a direct call on the server's thread and touches its objects
    if (server->thread() != QThread::currentThread()) {
        error = QStringLiteral("the server lives in another thread: create the instrumentation in the server's thread");
        return false;
    }
    if (options.namespaceName.isEmpty()) {
        error = QStringLiteral("the namespace name must not be empty");
        return false;
    }
    if (options.auth.type == AdminAuth::Type::Basic) {
        if (options.auth.username.isEmpty()) {
            error = QStringLiteral("basic authentication needs a user name");
            return false;
        }
        if (!Instrumentation::isValidPasswordHash(options.auth.passwordHash)) {
            error = QStringLiteral("the `password` field must be a valid bcrypt hash");
            return false;
        }
    }
    if (options.statsInterval.count() <= 0) {
        error = QStringLiteral("statsInterval must be positive");
        return false;
    }
    return true;
}

void InstrumentationPrivate::setUp()
{
    Q_Q(Instrumentation);
    sessions = options.sessionStore ? options.sessionStore : std::make_shared<InMemoryAdminSessionStore>();
    if (options.serverId.isEmpty()) {
        // as instrument()'s computeServerId(): the host name, and for a cluster worker
        // "<host>#<pid>"; our workers share a process, so theirs is "<host>#<pid>-<worker index>"
        options.serverId = QSysInfo::machineHostName();
        const int worker = server->workerIndex();
        if (worker >= 0)
            options.serverId += u'#' + QString::number(QCoreApplication::applicationPid()) + u'-' + QString::number(worker);
    }
    adminNsp = server->of(options.namespaceName);

    if (options.auth.type == AdminAuth::Type::None) {
        qCInfo(lcAdmin, "authentication is disabled on %s, please use with caution",
               qUtf8Printable(adminNsp->name()));
    } else {
        QPointer<Instrumentation> guard(q);
        adminNsp->use([guard](Socket *socket, const Next &next) {
            if (!guard) {
                qCInfo(lcAdmin, "admin connection refused: the instrumentation is gone");
                next(QStringLiteral("invalid credentials"));
                return;
            }
            guard->d_func()->authenticate(socket, next);
        });
    }

    if (!options.readonly) {
        features = {QStringLiteral("EMIT"),  QStringLiteral("JOIN"),  QStringLiteral("LEAVE"),
                    QStringLiteral("DISCONNECT"), QStringLiteral("MJOIN"), QStringLiteral("MLEAVE"),
                    QStringLiteral("MDISCONNECT")};
    }
    features.append(QStringLiteral("AGGREGATED_EVENTS"));
    if (isDevelopment())
        features.append(QStringLiteral("ALL_EVENTS"));

    if (isDevelopment()) {
        const QList<Namespace *> existing = server->namespaces();
        for (Namespace *nsp : existing)
            instrumentNamespace(nsp);
        QObject::connect(server, &Server::newNamespace, q,
                         [this](Namespace *nsp) { instrumentNamespace(nsp); });
    } else {
        QObject::connect(adminNsp, &Namespace::connection, q,
                         [this](Socket *socket) { onConnection(adminNsp, socket); });
    }

    // The engine exists once the server listens or is attached; instrument() also waits a tick.
    attachEngine();
    QTimer::singleShot(0, q, [this] { attachEngine(); });

    // a child, so that tests (and tools) can find it: objectName "socketio-admin-stats"
    statsTimer.setParent(q);
    statsTimer.setObjectName(QStringLiteral("socketio-admin-stats"));
    statsTimer.setInterval(options.statsInterval);
    QObject::connect(&statsTimer, &QTimer::timeout, q, [q] { q->sendServerStats(); });
    statsTimer.start();
    q->sendServerStats();
}

void InstrumentationPrivate::authenticate(Socket *socket, const Next &next)
{
    const QCborValue sessionId = socket->handshake().auth.value(QStringLiteral("sessionId"));
    if (!sessionId.isString() || sessionId.toString().isEmpty()) {
        authenticateWithPassword(socket, next);
        return;
    }
    // the store may answer later (Redis): the socket or we may be gone by then
    QPointer<Socket> guard(socket);
    QPointer<Instrumentation> self(q_ptr);
    sessions->contains(sessionId.toString(), [guard, self, next](bool exists) {
        if (!guard || !self) {
            next(QStringLiteral("invalid credentials"));
            return;
        }
        if (exists) {
            qCDebug(lcAdmin, "authentication success with a valid session id");
            next();
            return;
        }
        self->d_func()->authenticateWithPassword(guard, next);
    });
}

void InstrumentationPrivate::authenticateWithPassword(Socket *socket, const Next &next)
{
    const QCborMap auth = socket->handshake().auth;
    const QCborValue username = auth.value(QStringLiteral("username"));
    const QCborValue password = auth.value(QStringLiteral("password"));
    if (username.isString() && username.toString() == options.auth.username && password.isString()
        && Instrumentation::verifyPassword(password.toString(), options.auth.passwordHash)) {
        qCDebug(lcAdmin, "authentication success with valid credentials");
        socket->emitEvent(QStringLiteral("session"), {createSession()});
        next();
        return;
    }
    qCInfo(lcAdmin, "admin connection from %s refused: invalid credentials",
           qUtf8Printable(socket->handshake().address));
    next(QStringLiteral("invalid credentials"));
}

QString InstrumentationPrivate::createSession()
{
    const quint64 random = QRandomGenerator::system()->generate64();
    // 8 random bytes as 16 hex chars
    const QString id = QString::number(random, 16).rightJustified(16, u'0');
    sessions->save(id, options.sessionDuration);
    return id;
}

void InstrumentationPrivate::attachEngine()
{
    Q_Q(Instrumentation);
    if (engine || !server || !server->engine())
        return;
    engine = server->engine();
    QObject::connect(engine, &EngineServer::connection, q, [this](EngineSession *session) {
        events.push(QStringLiteral("rawConnection"));
        watchSession(session);
    });
    // sessions opened before we got here are counted from now on, without their rawConnection
    const QList<EngineSession *> open = engine->sessions();
    for (EngineSession *session : open)
        watchSession(session);
}

void InstrumentationPrivate::watchSession(EngineSession *session)
{
    Q_Q(Instrumentation);
    QObject::connect(session, &EngineSession::dataPacketQueued, q, [this](qint64 bytes) {
        events.push(QStringLiteral("packetsOut"));
        events.push(QStringLiteral("bytesOut"), QString(), bytes);
    });
    QObject::connect(session, &EngineSession::dataPacketReceived, q, [this](qint64 bytes) {
        events.push(QStringLiteral("packetsIn"));
        events.push(QStringLiteral("bytesIn"), QString(), bytes);
    });
    QObject::connect(session, &EngineSession::closed, q, [this](const QString &reason) {
        events.push(QStringLiteral("rawDisconnection"), reason);
    });
}

QCborMap InstrumentationPrivate::serverStats()
{
    attachEngine();
    int clients = 0;
    int polling = 0;
    if (engine) {
        clients = engine->clientsCount();
        const QList<EngineSession *> open = engine->sessions();
        for (EngineSession *session : open) {
            if (session->state() == EngineSession::State::Open
                && session->transport() == EngineSession::Transport::Polling)
                ++polling;
        }
    }
    QCborArray namespaces;
    if (server) {
        const QList<Namespace *> all = server->namespaces();
        for (Namespace *nsp : all) {
            QCborMap n;
            n.insert(QStringLiteral("name"), nsp->name());
            n.insert(QStringLiteral("socketsCount"), nsp->socketCount());
            namespaces.append(n);
        }
    }
    QCborMap stats;
    stats.insert(QStringLiteral("serverId"), options.serverId);
    stats.insert(QStringLiteral("hostname"), QSysInfo::machineHostName());
    stats.insert(QStringLiteral("pid"), QCoreApplication::applicationPid());
    stats.insert(QStringLiteral("uptime"), double(processClock().nsecsElapsed()) / 1e9);
    stats.insert(QStringLiteral("clientsCount"), clients);
    stats.insert(QStringLiteral("pollingClientsCount"), polling);
    stats.insert(QStringLiteral("aggregatedEvents"), events.takeValues());
    stats.insert(QStringLiteral("namespaces"), namespaces);
    return stats;
}

void InstrumentationPrivate::instrumentNamespace(Namespace *nsp)
{
    Q_Q(Instrumentation);
    if (!nsp || nsp->isParent() || instrumented.contains(nsp))
        return;
    instrumented.insert(nsp);
    QObject::connect(nsp, &QObject::destroyed, q, [this, nsp] { instrumented.remove(nsp); });
    QObject::connect(nsp, &Namespace::connection, q,
                     [this, nsp](Socket *socket) { onConnection(nsp, socket); });
    if (Adapter *adapter = nsp->adapter()) {
        const QString name = nsp->name();
        QObject::connect(adapter, &Adapter::roomJoined, q,
                         [this, name](const QString &room, const QString &id) {
                             if (hasAudience())
                                 broadcast(QStringLiteral("room_joined"), {name, room, id, timestamp()});
                         });
        QObject::connect(adapter, &Adapter::roomLeft, q,
                         [this, name](const QString &room, const QString &id) {
                             if (!hasAudience())
                                 return;
                             // socket.io-admin sends it on the next tick: after socket_disconnected
                             const QString at = timestamp();
                             QTimer::singleShot(0, q_ptr, [this, name, room, id, at] {
                                 broadcast(QStringLiteral("room_left"), {name, room, id, at});
                             });
                         });
    }
}

void InstrumentationPrivate::onConnection(Namespace *nsp, Socket *socket)
{
    attachEngine();
    QPointer<Socket> guard(socket);
    if (isDevelopment())
        reportSocket(nsp, socket);
    if (nsp != adminNsp || !guard || !socket->isConnected())
        return;
    if (!options.readonly)
        registerCommands(socket);
    QCborMap config;
    config.insert(QStringLiteral("supportedFeatures"), QCborArray::fromStringList(features));
    socket->emitEvent(QStringLiteral("config"), {config});
    if (isDevelopment())
        sendAllSockets(socket);
}

void InstrumentationPrivate::tagData(Socket *socket, const QString &transport)
{
    const QCborValue current = socket->data();
    if (!current.isMap() && !current.isUndefined() && !current.isNull())
        return;   // not an object: nowhere to keep _admin, like a primitive socket.data in Node
    QCborMap data = current.toMap();
    QCborMap admin;
    EngineSession *conn = socket->conn();
    admin.insert(QStringLiteral("clientId"), conn ? conn->id().left(12) : QString());
    admin.insert(QStringLiteral("transport"), transport);
    if (data.value(AdminKey) == QCborValue(admin))
        return;
    data.insert(AdminKey, admin);
    taggingData = true;
    socket->setData(data);
    taggingData = false;
}

void InstrumentationPrivate::reportSocket(Namespace *nsp, Socket *socket)
{
    Q_Q(Instrumentation);
    EngineSession *conn = socket->conn();
    const QString transport = conn ? conn->transportName() : QString();
    tagData(socket, transport);

    const QString id = socket->id();
    const QString nspName = nsp->name();
    if (hasAudience()) {
        broadcast(QStringLiteral("socket_connected"),
                  {serialize(id, conn ? conn->id().left(12) : QString(), transport, nspName,
                             socket->data(), socket->handshake(), socket->rooms()),
                   timestamp()});
    }

    QPointer<Socket> guard(socket);
    QObject::connect(socket, &Socket::dataChanged, q, [this, socket, id, nspName] {
        if (taggingData)
            return;
        const QCborValue data = socket->data();
        if ((data.isMap() && !data.toMap().contains(AdminKey)) || data.isUndefined() || data.isNull()) {
            EngineSession *c = socket->conn();
            tagData(socket, c ? c->transportName() : QString());
        }
        if (!hasAudience())
            return;
        QCborMap update;
        update.insert(QStringLiteral("id"), id);
        update.insert(QStringLiteral("nsp"), nspName);
        update.insert(QStringLiteral("data"), publicData(socket->data()));
        broadcast(QStringLiteral("socket_updated"), {update});
    });
    // The Engine.IO session may outlive this socket (other namespaces, a reconnect to this one):
    // the upgrade hook goes with the socket, not with the session.
    QMetaObject::Connection upgradeHook;
    if (conn) {
        upgradeHook = QObject::connect(conn, &EngineSession::upgraded, q, [this, guard, conn, id, nspName] {
            if (!guard || !guard->isConnected())
                return;
            tagData(guard, conn->transportName());
            QCborMap update;
            update.insert(QStringLiteral("id"), id);
            update.insert(QStringLiteral("nsp"), nspName);
            update.insert(QStringLiteral("transport"), conn->transportName());
            broadcast(QStringLiteral("socket_updated"), {update});
        });
    }
    if (nsp != adminNsp) {
        QObject::connect(socket, &Socket::eventReceived, q, [this, id, nspName](const Message &m) {
            if (!hasAudience())
                return;
            QCborArray args = m.args();
            args.prepend(m.event());
            broadcast(QStringLiteral("event_received"), {nspName, id, args, timestamp()});
        });
        QObject::connect(socket, &Socket::eventSent, q,
                         [this, id, nspName](const QString &event, const QCborArray &eventArgs) {
                             if (!hasAudience())
                                 return;
                             QCborArray args = eventArgs;
                             args.prepend(event);
                             broadcast(QStringLiteral("event_sent"), {nspName, id, args, timestamp()});
                         });
    }
    QObject::connect(socket, &Socket::disconnected, q, [this, id, nspName, upgradeHook](DisconnectReason reason) {
        QObject::disconnect(upgradeHook);
        broadcast(QStringLiteral("socket_disconnected"), {nspName, id, reasonString(reason), timestamp()});
    });
}

void InstrumentationPrivate::sendAllSockets(Socket *adminSocket)
{
    Q_Q(Instrumentation);
    if (!server)
        return;
    const QList<Namespace *> all = server->namespaces();
    struct Pending
    {
        QList<QCborArray> parts;
        int remaining = 0;
    };
    auto pending = std::make_shared<Pending>();
    pending->parts.resize(all.size());
    pending->remaining = int(all.size());
    QPointer<Socket> guard(adminSocket);
    auto finish = [pending, guard] {
        if (--pending->remaining > 0 || !guard)
            return;
        QCborArray sockets;
        for (const QCborArray &part : std::as_const(pending->parts)) {
            for (const QCborValue &v : part)
                sockets.append(v);
        }
        guard->emitEvent(QStringLiteral("all_sockets"), {sockets});
    };
    if (all.isEmpty()) {
        pending->remaining = 1;
        finish();
        return;
    }
    for (qsizetype i = 0; i < all.size(); ++i) {
        const QString nspName = all.at(i)->name();
        all.at(i)->fetchSockets(q, [pending, i, nspName, finish](const QList<RemoteSocket> &sockets) {
            QCborArray part;
            for (const RemoteSocket &s : sockets) {
                const QCborMap admin = s.data().toMap().value(AdminKey).toMap();
                part.append(serialize(s.id(), admin.value(QStringLiteral("clientId")).toString(),
                                      admin.value(QStringLiteral("transport")).toString(), nspName,
                                      s.data(), s.handshake(), s.rooms()));
            }
            pending->parts[i] = part;
            finish();
        });
    }
}

bool InstrumentationPrivate::hasAudience() const
{
    if (!adminNsp)
        return false;
    if (adminNsp->socketCount() > 0)
        return true;
    // A cluster adapter relays to the admin clients of other nodes, a session-aware one keeps
    // packets for admin sockets that may come back: only the plain local adapter has nobody.
    const Adapter *adapter = adminNsp->adapter();
    return adapter && adapter->metaObject() != &InMemoryAdapter::staticMetaObject;
}

void InstrumentationPrivate::broadcast(const QString &event, const QCborArray &args)
{
    if (hasAudience())
        adminNsp->emitEvent(event, args);
}

void InstrumentationPrivate::registerCommands(Socket *adminSocket)
{
    Q_Q(Instrumentation);
    QPointer<Instrumentation> guard(q);
    for (const QString &command : {QStringLiteral("emit"), QStringLiteral("join"), QStringLiteral("leave"),
                                   QStringLiteral("_disconnect")}) {
        adminSocket->on(command, adminSocket, [guard, command](const Message &message) {
            if (guard)
                guard->d_func()->runCommand(command, message);
        });
    }
}

void InstrumentationPrivate::runCommand(const QString &command, const Message &message)
{
    const QCborArray args = message.args();
    auto refuse = [&command, &args](const char *why) {
        qCWarning(lcAdmin, "admin command %s ignored: %s (%s)", qUtf8Printable(command), why,
                  QCborValue(args).toDiagnosticNotation().left(200).toUtf8().constData());
    };
    if (!server) {
        refuse("the server is gone");
        return;
    }
    const QString nspName = stringArg(args, 0);
    if (nspName.isNull()) {
        refuse("the namespace is not a string");
        return;
    }
    // As instrument(): io.of(nsp), created when this node does not have it, so that the adapter
    // still carries the command to the nodes that have the namespace (and its sockets).
    Namespace *nsp = server->of(nspName);
    // emit: nsp, filter, event, ...args; the others: nsp, x, filter
    const qsizetype filterIndex = command == QLatin1String("emit") ? 1 : 2;
    const QCborValue filter = args.at(filterIndex);
    BroadcastOperator target = nsp->all();
    if (filter.isString() && !filter.toString().isEmpty()) {
        target = nsp->in(filter.toString());
    } else if (!filter.isUndefined() && !filter.isNull() && !filter.isFalse()
               && !(filter.isString() && filter.toString().isEmpty())) {
        refuse("the filter is neither a room nor a socket id");
        return;
    }

    if (command == QLatin1String("emit")) {
        const QString event = stringArg(args, 2);
        if (event.isEmpty()) {
            refuse("the event name is not a string");
            return;
        }
        QCborArray eventArgs;
        for (qsizetype i = 3; i < args.size(); ++i)
            eventArgs.append(args.at(i));
        if (!target.emitEvent(event, eventArgs))
            refuse("the server refused to send the event (reserved name or too many binaries)");
    } else if (command == QLatin1String("join") || command == QLatin1String("leave")) {
        const QString room = stringArg(args, 1);
        if (room.isEmpty()) {
            refuse("the room is not a string");
            return;
        }
        if (command == QLatin1String("join"))
            target.socketsJoin(room);
        else
            target.socketsLeave(room);
    } else {
        const QCborValue close = args.at(1);
        if (!close.isBool() && !close.isUndefined() && !close.isNull()) {
            refuse("close is not a boolean");
            return;
        }
        target.disconnectSockets(close.isTrue());
    }
}

QString InstrumentationPrivate::timestamp()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QCborValue InstrumentationPrivate::publicData(const QCborValue &data)
{
    if (data.isMap()) {
        QCborMap map = data.toMap();
        map.remove(AdminKey);
        return map;
    }
    if (data.isUndefined() || data.isNull())
        return QCborMap();
    return data;
}

QCborMap InstrumentationPrivate::serializeHandshake(const Handshake &handshake)
{
    QString address = handshake.headers.value(QStringLiteral("cf-connecting-ip")).toString();
    if (address.isEmpty())
        address = handshake.headers.value(QStringLiteral("x-forwarded-for")).toString();
    if (address.isEmpty())
        address = handshake.address;
    QCborMap h;
    h.insert(QStringLiteral("address"), address);
    h.insert(QStringLiteral("headers"), handshake.headers);
    h.insert(QStringLiteral("query"), handshake.query);
    h.insert(QStringLiteral("issued"), handshake.issued);
    h.insert(QStringLiteral("secure"), handshake.secure);
    h.insert(QStringLiteral("time"), handshake.time);
    h.insert(QStringLiteral("url"), handshake.url);
    h.insert(QStringLiteral("xdomain"), handshake.xdomain);
    return h;
}

QCborMap InstrumentationPrivate::serialize(const QString &id, const QString &clientId,
                                           const QString &transport, const QString &nsp,
                                           const QCborValue &data, const Handshake &handshake,
                                           const QSet<QString> &rooms)
{
    // socket.io keeps rooms in join order, the socket's own room first; a set has no order, so
    // the own room comes first and the others sorted.
    QStringList others;
    for (const QString &room : rooms) {
        if (room != id)
            others.append(room);
    }
    others.sort();
    QCborArray roomList;
    if (rooms.contains(id))
        roomList.append(id);
    for (const QString &room : std::as_const(others))
        roomList.append(room);

    QCborMap s;
    s.insert(QStringLiteral("id"), id);
    if (!clientId.isEmpty())
        s.insert(QStringLiteral("clientId"), clientId);
    if (!transport.isEmpty())
        s.insert(QStringLiteral("transport"), transport);
    s.insert(QStringLiteral("nsp"), nsp);
    s.insert(QStringLiteral("data"), publicData(data));
    s.insert(QStringLiteral("handshake"), serializeHandshake(handshake));
    s.insert(QStringLiteral("rooms"), roomList);
    return s;
}

// ---- Instrumentation -------------------------------------------------------------------------

Instrumentation::Instrumentation(Server *server, const AdminOptions &options, QObject *parent)
    : QObject(parent), d_ptr(new InstrumentationPrivate(this))
{
    Q_D(Instrumentation);
    d->server = server;
    d->options = options;
    d->valid = d->validate();
    if (!d->valid) {
        qCWarning(lcAdmin, "admin instrumentation refused: %s", qUtf8Printable(d->error));
        return;
    }
    d->setUp();
}

Instrumentation::~Instrumentation() = default;

bool Instrumentation::isValid() const { return d_func()->valid; }
QString Instrumentation::errorString() const { return d_func()->error; }
AdminOptions Instrumentation::options() const { return d_func()->options; }
Namespace *Instrumentation::adminNamespace() const { return d_func()->adminNsp; }
QStringList Instrumentation::supportedFeatures() const { return d_func()->features; }

void Instrumentation::sendServerStats()
{
    Q_D(Instrumentation);
    if (!d->valid || !d->adminNsp)
        return;
    d->broadcast(QStringLiteral("server_stats"), {d->serverStats()});
}

bool Instrumentation::isValidPasswordHash(const QByteArray &hash)
{
    static const QRegularExpression re(
            QStringLiteral("^\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}$"));
    return re.match(QString::fromLatin1(hash)).hasMatch();
}

bool Instrumentation::verifyPassword(const QString &password, const QByteArray &hash)
{
    if (!isValidPasswordHash(hash))
        return false;
    const QByteArray utf8 = password.toUtf8();
    if (utf8.contains('\0'))
        return false;
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char *result = crypt_r(utf8.constData(), hash.constData(), data.get());
    if (!result || result[0] == '*')
        return false;
    return constantTimeEquals(QByteArray(result), hash);
}

QByteArray Instrumentation::hashPassword(const QString &password, int cost)
{
    if (cost < 4 || cost > 31)
        return {};
    const QByteArray utf8 = password.toUtf8();
    if (utf8.contains('\0'))
        return {};
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof(salt)))
        return {};
    const char *result = crypt_r(utf8.constData(), salt, data.get());
    if (!result || result[0] == '*')
        return {};
    return QByteArray(result);
}

} // namespace SocketIo

#include "adminconnection.h"

#include "chartseries.h"
#include "dashboardlogging.h"
#include "eventlogmodel.h"
#include "roomsmodel.h"
#include "serversmodel.h"
#include "socketsmodel.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/message.h>

#include <QCborArray>
#include <QCborMap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>

#include <chrono>
#include <memory>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

namespace {
const QString kInvalidCredentials = u"invalid credentials"_s;

QDateTime parseTimestamp(const QJsonValue &v)
{
    if (v.isString()) {
        QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (t.isValid())
            return t;
    } else if (v.isDouble()) {
        return QDateTime::fromMSecsSinceEpoch(qint64(v.toDouble()), Qt::UTC);
    }
    return QDateTime::currentDateTimeUtc();
}
} // namespace

class AdminConnectionPrivate
{
public:
    explicit AdminConnectionPrivate(AdminConnection *q) : q_ptr(q) {}

    AdminConnection *q_ptr;
    Q_DECLARE_PUBLIC(AdminConnection)

    QUrl url;
    QString path = u"/socket.io"_s;
    QString nsp = u"/admin"_s;
    bool wsOnly = false;
    QString username;
    QString password;
    QString sessionId;
    int reconnectionDelay = 1000;

    AdminConnection::State state = AdminConnection::State::Disconnected;
    QString error;
    bool invalidCredentials = false;
    bool lastAuthWasSession = false;
    QStringList features;

    std::unique_ptr<SocketIo::Client> client;
    QPointer<SocketIo::ClientSocket> socket;

    SocketsModel *sockets = nullptr;
    SocketsFilterModel *socketsFilter = nullptr;
    RoomsModel *rooms = nullptr;
    ClientsModel *clients = nullptr;
    ServersModel *servers = nullptr;
    NamespacesModel *namespaces = nullptr;
    EventLogModel *eventLog = nullptr;
    EventLogFilterModel *eventLogFilter = nullptr;
    ChartSeries *charts = nullptr;

    void setState(AdminConnection::State s, const QString &err = QString(), bool invalid = false)
    {
        Q_Q(AdminConnection);
        if (s == state && err == error && invalid == invalidCredentials)
            return;
        state = s;
        error = err;
        invalidCredentials = invalid;
        Q_EMIT q->stateChanged();
    }

    void onEvent(const SocketIo::Message &m);
    void onConnectError(const QString &message);
    void addSocket(const QJsonObject &s, const QDateTime &at);
    void log(const QString &type, const QString &direction, const QString &nsp, const QString &id,
             const QString &name, const QString &args, const QDateTime &at)
    {
        eventLog->append(EventLogEntry{0, at, type, direction, nsp, id, name, args});
    }
    bool sendCommand(const QString &feature, const QString &event, const QCborArray &args);
};

AdminConnection::AdminConnection(QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<AdminConnectionPrivate>(this))
{
    Q_D(AdminConnection);
    d->sockets = new SocketsModel(this);
    d->socketsFilter = new SocketsFilterModel(this);
    d->socketsFilter->setSourceModel(d->sockets);
    d->rooms = new RoomsModel(this);
    d->clients = new ClientsModel(this);
    d->servers = new ServersModel(this);
    d->namespaces = new NamespacesModel(this);
    d->eventLog = new EventLogModel(this);
    d->eventLogFilter = new EventLogFilterModel(this);
    d->eventLogFilter->setSourceModel(d->eventLog);
    d->charts = new ChartSeries(this);
}

AdminConnection::~AdminConnection()
{
    Q_D(AdminConnection);
    if (d->client) {
        d->client->disconnect(this);
        if (d->socket)
            d->socket->disconnect(this);
    }
}

QUrl AdminConnection::url() const { return d_func()->url; }
QString AdminConnection::path() const { return d_func()->path; }
QString AdminConnection::namespaceName() const { return d_func()->nsp; }
bool AdminConnection::websocketOnly() const { return d_func()->wsOnly; }
QString AdminConnection::username() const { return d_func()->username; }
bool AdminConnection::hasPassword() const { return !d_func()->password.isEmpty(); }
QString AdminConnection::sessionId() const { return d_func()->sessionId; }
bool AdminConnection::hasSession() const { return !d_func()->sessionId.isEmpty(); }
AdminConnection::State AdminConnection::state() const { return d_func()->state; }
QString AdminConnection::errorString() const { return d_func()->error; }
bool AdminConnection::invalidCredentials() const { return d_func()->invalidCredentials; }
QStringList AdminConnection::supportedFeatures() const { return d_func()->features; }
SocketsModel *AdminConnection::sockets() const { return d_func()->sockets; }
SocketsFilterModel *AdminConnection::socketsFilter() const { return d_func()->socketsFilter; }
RoomsModel *AdminConnection::rooms() const { return d_func()->rooms; }
ClientsModel *AdminConnection::clients() const { return d_func()->clients; }
ServersModel *AdminConnection::servers() const { return d_func()->servers; }
NamespacesModel *AdminConnection::namespaces() const { return d_func()->namespaces; }
EventLogModel *AdminConnection::eventLog() const { return d_func()->eventLog; }
EventLogFilterModel *AdminConnection::eventLogFilter() const { return d_func()->eventLogFilter; }
ChartSeries *AdminConnection::charts() const { return d_func()->charts; }
SocketIo::Client *AdminConnection::client() const { return d_func()->client.get(); }

QString AdminConnection::adminSocketId() const
{
    Q_D(const AdminConnection);
    return d->socket ? d->socket->id() : QString();
}

void AdminConnection::setUrl(const QUrl &url)
{
    Q_D(AdminConnection);
    if (url == d->url)
        return;
    d->url = url;
    Q_EMIT settingsChanged();
}

void AdminConnection::setPath(const QString &path)
{
    Q_D(AdminConnection);
    const QString p = path.isEmpty() ? u"/socket.io"_s : path;
    if (p == d->path)
        return;
    d->path = p;
    Q_EMIT settingsChanged();
}

void AdminConnection::setNamespaceName(const QString &nsp)
{
    Q_D(AdminConnection);
    QString n = nsp.isEmpty() ? u"/admin"_s : nsp;
    if (!n.startsWith(u'/'))
        n.prepend(u'/');
    if (n == d->nsp)
        return;
    d->nsp = n;
    Q_EMIT settingsChanged();
}

void AdminConnection::setWebsocketOnly(bool on)
{
    Q_D(AdminConnection);
    if (on == d->wsOnly)
        return;
    d->wsOnly = on;
    Q_EMIT settingsChanged();
}

void AdminConnection::setUsername(const QString &username)
{
    Q_D(AdminConnection);
    if (username == d->username)
        return;
    d->username = username;
    Q_EMIT settingsChanged();
}

QString AdminConnection::displayName() const
{
    Q_D(const AdminConnection);
    QString name = d->url.toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash);
    if (d->nsp != u"/admin"_s)
        name += d->nsp;
    return name;
}

void AdminConnection::setPassword(const QString &password)
{
    Q_D(AdminConnection);
    if (password == d->password)
        return;
    d->password = password;
    Q_EMIT credentialsChanged();
}

void AdminConnection::setSessionId(const QString &sessionId)
{
    Q_D(AdminConnection);
    if (sessionId == d->sessionId)
        return;
    d->sessionId = sessionId;
    Q_EMIT credentialsChanged();
}

void AdminConnection::setReconnectionDelay(int ms)
{
    Q_D(AdminConnection);
    d->reconnectionDelay = std::max(1, ms);
}

QString AdminConnection::stateText() const
{
    switch (state()) {
    case State::Disconnected: return u"disconnected"_s;
    case State::Connecting: return u"connecting"_s;
    case State::Connected: return u"connected"_s;
    case State::Reconnecting: return u"reconnecting"_s;
    case State::Failed: return u"failed"_s;
    }
    return {};
}

bool AdminConnection::hasFeature(const QString &feature) const
{
    return d_func()->features.contains(feature);
}

bool AdminConnection::isReadonly() const
{
    for (const auto &f : {u"EMIT"_s, u"JOIN"_s, u"LEAVE"_s, u"DISCONNECT"_s, u"MJOIN"_s, u"MLEAVE"_s, u"MDISCONNECT"_s}) {
        if (hasFeature(f))
            return false;
    }
    return true;
}

bool AdminConnection::isDevelopmentMode() const
{
    return hasFeature(u"ALL_EVENTS"_s) || !hasFeature(u"AGGREGATED_EVENTS"_s);
}

bool AdminConnection::canEmit() const { return hasFeature(u"EMIT"_s); }
bool AdminConnection::canJoin() const { return hasFeature(u"JOIN"_s); }
bool AdminConnection::canLeave() const { return hasFeature(u"LEAVE"_s); }
bool AdminConnection::canDisconnect() const { return hasFeature(u"DISCONNECT"_s); }
bool AdminConnection::canLeaveRoom() const { return hasFeature(u"MLEAVE"_s); }
bool AdminConnection::canDisconnectRoom() const { return hasFeature(u"MDISCONNECT"_s); }

void AdminConnection::open()
{
    Q_D(AdminConnection);
    close();
    if (!d->url.isValid() || d->url.isEmpty()) {
        d->setState(State::Failed, u"no server URL"_s);
        return;
    }
    SocketIo::ClientOptions options;
    options.path = d->path;
    options.polling = !d->wsOnly;
    options.websocket = true;
    options.reconnection = true;
    options.reconnectionDelay = std::chrono::milliseconds(d->reconnectionDelay);
    options.reconnectionDelayMax = std::chrono::milliseconds(d->reconnectionDelay * 5);
    options.autoConnect = true;
    options.withCredentials = true;   // as the official UI: cookies (e.g. sticky sessions) on every request
    d->client = std::make_unique<SocketIo::Client>(d->url, options);

    SocketIo::ClientSocketOptions socketOptions;
    QPointer<AdminConnection> self(this);
    socketOptions.authCallback = [self](const std::function<void(const QCborMap &)> &done) {
        QCborMap auth;
        if (self) {
            AdminConnectionPrivate *dd = self->d_func();
            dd->lastAuthWasSession = !dd->sessionId.isEmpty();
            if (dd->lastAuthWasSession) {
                auth.insert(u"sessionId"_s, dd->sessionId);
            } else if (!dd->username.isEmpty() || !dd->password.isEmpty()) {
                auth.insert(u"username"_s, dd->username);
                auth.insert(u"password"_s, dd->password);
            }
        }
        done(auth);
    };
    d->socket = d->client->socket(d->nsp, socketOptions);
    SocketIo::ClientSocket *socket = d->socket;

    connect(socket, &SocketIo::ClientSocket::connected, this, [d] {
        qCInfo(lcDashboard) << "connected to" << d->url << d->nsp << "as" << d->socket->id();
        d->setState(State::Connected);
    });
    connect(socket, &SocketIo::ClientSocket::disconnected, this,
            [d](SocketIo::DisconnectReason reason, const QString &description) {
                qCInfo(lcDashboard) << "disconnected from" << d->url << description;
                if (reason == SocketIo::DisconnectReason::IoClientDisconnect)
                    d->setState(State::Disconnected);
                else if (reason == SocketIo::DisconnectReason::IoServerDisconnect)
                    d->setState(State::Disconnected, u"disconnected by the server"_s);
                else
                    d->setState(State::Reconnecting, description);
            });
    connect(socket, &SocketIo::ClientSocket::connectError, this,
            [d](const QString &message, const QCborValue &) { d->onConnectError(message); });
    connect(socket, &SocketIo::ClientSocket::eventReceived, this,
            [d](const SocketIo::Message &m) { d->onEvent(m); });
    d->setState(State::Connecting);
}

void AdminConnection::close()
{
    Q_D(AdminConnection);
    if (!d->client)
        return;
    std::unique_ptr<SocketIo::Client> client = std::move(d->client);
    client->disconnect(this);
    if (d->socket) {
        d->socket->disconnect(this);
        // leave as the official UI's socket.disconnect(): a DISCONNECT, the server sees
        // "client namespace disconnect" (Client::close() alone is a "transport close")
        d->socket->close();
    }
    d->socket.clear();
    // deleted once the DISCONNECT over polling and the engine close are out (deleting it now
    // would make the server see "transport error"); parented so it goes with us at the latest
    SocketIo::Client *retired = client.release();
    retired->setParent(this);
    retired->closeAndDeleteLater();
    if (d->state != State::Failed)
        d->setState(State::Disconnected);
}

void AdminConnectionPrivate::onConnectError(const QString &message)
{
    Q_Q(AdminConnection);
    if (socket && socket->isActive()) {
        // the engine could not connect: the client retries by itself
        qCInfo(lcDashboard) << "cannot reach" << url << ":" << message;
        setState(state == AdminConnection::State::Connecting ? AdminConnection::State::Connecting
                                                              : AdminConnection::State::Reconnecting,
                 message);
        return;
    }
    // the admin namespace refused us
    if (message == kInvalidCredentials && lastAuthWasSession) {
        // a stale session (e.g. the server restarted): forget it, try the password once
        qCInfo(lcDashboard) << "session refused by" << url;
        sessionId.clear();
        Q_EMIT q->credentialsChanged();
        Q_EMIT q->sessionIdChanged(QString());
        if (!password.isEmpty() || username.isEmpty()) {
            if (socket)
                socket->open();
            return;
        }
    }
    qCWarning(lcDashboard) << "login to" << url << nsp << "refused:" << message;
    const bool invalid = message == kInvalidCredentials;
    if (client) {
        // stop reconnecting until the user changes something
        client->disconnect(q);
        socket->disconnect(q);
        socket.clear();
        client->close();
        client.release()->deleteLater();
    }
    setState(AdminConnection::State::Failed, message, invalid);
    Q_EMIT q->loginFailed(message);
}

void AdminConnectionPrivate::addSocket(const QJsonObject &s, const QDateTime &at)
{
    const QString id = s.value(u"id"_s).toString();
    const QString nspName = s.value(u"nsp"_s).toString();
    sockets->addSocket(s, at);
    const QString clientId = s.value(u"clientId"_s).toString();
    clients->addSocket(clientId, nspName, id, s.value(u"transport"_s).toString(),
                       s.value(u"handshake"_s).toObject().value(u"address"_s).toString());
    for (const QJsonValue &r : s.value(u"rooms"_s).toArray())
        rooms->join(nspName, r.toString(), id);
}

void AdminConnectionPrivate::onEvent(const SocketIo::Message &m)
{
    Q_Q(AdminConnection);
    const QString ev = m.event();
    const QCborArray cargs = m.args();
    auto arg = [&cargs](qsizetype i) { return i < cargs.size() ? cargs.at(i).toJsonValue() : QJsonValue(); };

    if (ev == u"session"_s) {
        sessionId = arg(0).toString();
        Q_EMIT q->credentialsChanged();
        Q_EMIT q->sessionIdChanged(sessionId);
    } else if (ev == u"config"_s) {
        QStringList f;
        for (const QJsonValue &v : arg(0).toObject().value(u"supportedFeatures"_s).toArray())
            f.append(v.toString());
        features = f;
        Q_EMIT q->featuresChanged();
    } else if (ev == u"all_sockets"_s) {
        const QJsonArray list = arg(0).toArray();
        sockets->replaceAll(list);
        rooms->resetAll();
        clients->resetAll();
        for (const QJsonValue &v : list) {
            const QJsonObject s = v.toObject();
            const QString id = s.value(u"id"_s).toString();
            const QString nspName = s.value(u"nsp"_s).toString();
            clients->addSocket(s.value(u"clientId"_s).toString(), nspName, id, s.value(u"transport"_s).toString(),
                               s.value(u"handshake"_s).toObject().value(u"address"_s).toString());
            for (const QJsonValue &r : s.value(u"rooms"_s).toArray())
                rooms->join(nspName, r.toString(), id);
        }
    } else if (ev == u"server_stats"_s) {
        const QJsonObject stats = arg(0).toObject();
        servers->updateStats(stats);
        namespaces->setCounts(servers->namespaceCounts());
        charts->addAggregatedEvents(stats.value(u"aggregatedEvents"_s).toArray());
    } else if (ev == u"socket_connected"_s) {
        const QJsonObject s = arg(0).toObject();
        const QDateTime at = parseTimestamp(arg(1));
        addSocket(s, at);
        log(u"connection"_s, QString(), s.value(u"nsp"_s).toString(), s.value(u"id"_s).toString(), QString(),
            QString(), at);
    } else if (ev == u"socket_updated"_s) {
        const QJsonObject u = arg(0).toObject();
        sockets->updateSocket(u);
        if (u.contains(u"transport"_s)) {
            const QVariantMap s = sockets->socket(u.value(u"nsp"_s).toString(), u.value(u"id"_s).toString());
            clients->setTransport(s.value(u"clientId"_s).toString(), u.value(u"transport"_s).toString());
        }
    } else if (ev == u"socket_disconnected"_s) {
        const QString nspName = arg(0).toString();
        const QString id = arg(1).toString();
        const QString reason = arg(2).toString();
        const QString clientId = sockets->removeSocket(nspName, id);
        if (!clientId.isEmpty())
            clients->removeSocket(clientId, nspName, id);
        rooms->removeSocket(nspName, id);
        log(u"disconnection"_s, QString(), nspName, id, reason, QString(), parseTimestamp(arg(3)));
    } else if (ev == u"room_joined"_s || ev == u"room_left"_s) {
        const QString nspName = arg(0).toString();
        const QString room = arg(1).toString();
        const QString id = arg(2).toString();
        if (ev == u"room_joined"_s) {
            // as the official UI: rooms of unknown sockets are ignored (their socket_connected,
            // which lists their rooms, follows)
            if (sockets->joinRoom(nspName, room, id))
                rooms->join(nspName, room, id);
        } else {
            sockets->leaveRoom(nspName, room, id);
            rooms->leave(nspName, room, id);
        }
        log(ev, QString(), nspName, id, room, QString(), parseTimestamp(arg(3)));
    } else if (ev == u"event_received"_s || ev == u"event_sent"_s) {
        const QString nspName = arg(0).toString();
        const QString id = arg(1).toString();
        QJsonArray evArgs = arg(2).toArray();
        const QString name = evArgs.isEmpty() ? QString() : evArgs.at(0).toString();
        if (!evArgs.isEmpty())
            evArgs.removeFirst();
        log(ev, ev == u"event_received"_s ? u"in"_s : u"out"_s, nspName, id, name,
            QString::fromUtf8(QJsonDocument(evArgs).toJson(QJsonDocument::Compact)), parseTimestamp(arg(3)));
    } else {
        qCDebug(lcDashboard) << "ignoring admin event" << ev;
        return;
    }
    Q_EMIT q->adminEventProcessed(ev);
}

bool AdminConnectionPrivate::sendCommand(const QString &feature, const QString &event, const QCborArray &args)
{
    if (!features.contains(feature)) {
        qCWarning(lcDashboard, "the server does not support %s - not sending \"%s\"", qUtf8Printable(feature),
                  qUtf8Printable(event));
        return false;
    }
    if (!socket || !socket->isConnected()) {
        qCWarning(lcDashboard, "not connected - not sending \"%s\"", qUtf8Printable(event));
        return false;
    }
    return socket->emitEvent(event, args);
}

bool AdminConnection::joinRoom(const QString &nsp, const QString &room, const QString &filter)
{
    Q_D(AdminConnection);
    QCborArray args{nsp, room};
    if (!filter.isEmpty())
        args.append(filter);
    return d->sendCommand(u"JOIN"_s, u"join"_s, args);
}

bool AdminConnection::leaveRoom(const QString &nsp, const QString &room, const QString &filter)
{
    Q_D(AdminConnection);
    QCborArray args{nsp, room};
    if (!filter.isEmpty())
        args.append(filter);
    return d->sendCommand(filter.isEmpty() ? u"MLEAVE"_s : u"LEAVE"_s, u"leave"_s, args);
}

bool AdminConnection::disconnectSockets(const QString &nsp, const QString &filter, bool closeConnection)
{
    Q_D(AdminConnection);
    QCborArray args{nsp, closeConnection};
    if (!filter.isEmpty())
        args.append(filter);
    const bool socketLevel = d->sockets->contains(nsp, filter);
    return d->sendCommand(socketLevel ? u"DISCONNECT"_s : u"MDISCONNECT"_s, u"_disconnect"_s, args);
}

bool AdminConnection::emitEvent(const QString &nsp, const QString &filter, const QString &event,
                                const QVariantList &args)
{
    Q_D(AdminConnection);
    QCborArray cargs{nsp, filter.isEmpty() ? QCborValue(QCborValue::Null) : QCborValue(filter), event};
    for (const QVariant &v : args)
        cargs.append(QCborValue::fromVariant(v));
    return d->sendCommand(u"EMIT"_s, u"emit"_s, cargs);
}

} // namespace SocketIo::Dashboard

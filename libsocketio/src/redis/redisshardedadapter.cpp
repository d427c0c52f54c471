#include "redisshardedadapter.h"

#include "msgpackcodec.h"
#include "redisconnection_p.h"
#include "redisdetail_p.h"
#include "redislogging_p.h"
#include "redisshardedadapter_p.h"

#include "protocol/json.h"

#include <SocketIo/namespace.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

namespace SocketIo {

using namespace RedisDetail;

namespace {

// JSON.stringify drops undefined members; QCborValue::toJsonValue() would write null
QCborValue withoutUndefined(const QCborValue &value)
{
    if (value.isArray()) {
        QCborArray array;
        for (const QCborValue &v : value.toArray())
            array.append(v.isUndefined() ? QCborValue(nullptr) : withoutUndefined(v));
        return array;
    }
    if (value.isMap()) {
        QCborMap map;
        const QCborMap in = value.toMap();
        for (auto it = in.cbegin(); it != in.cend(); ++it) {
            if (!it.value().isUndefined())
                map.insert(it.key(), withoutUndefined(it.value()));
        }
        return map;
    }
    return value;
}

} // namespace

// ---- private ------------------------------------------------------------------------------

QString RedisShardedAdapterPrivate::newId()
{
    quint32 words[2];
    QRandomGenerator::global()->fillRange(words);
    QByteArray bytes(reinterpret_cast<const char *>(words), sizeof(words));
    return QString::fromLatin1(bytes.toHex());
}

QList<QByteArray> RedisShardedAdapterPrivate::numSubCommand() const
{
    return {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("SHARDNUMSUB"), channel.toUtf8()};
}

QString RedisShardedAdapterPrivate::nspName() const
{
    Q_Q(const RedisShardedAdapter);
    return q->nsp() ? q->nsp()->name() : QStringLiteral("/");
}

QList<QByteArray> RedisShardedAdapterPrivate::channels() const
{
    QList<QByteArray> list{channel.toUtf8(), responseChannel.toUtf8()};
    for (const QString &room : roomChannels)
        list.append(roomChannel(room).toUtf8());
    return list;
}

bool RedisShardedAdapterPrivate::usesRoomChannel(const QString &room) const
{
    // createShardedAdapter's computeChannel(): a socket id is a string of 20 characters
    return mode == RedisSubscriptionMode::DynamicPrivate
           || (mode == RedisSubscriptionMode::Dynamic && room.size() != 20);
}

QByteArray RedisShardedAdapterPrivate::encode(const QCborMap &message)
{
    const auto type = ClusterMessageType(message.value(QStringLiteral("type")).toInteger());
    const bool mayContainBinary = type == ClusterMessageType::Broadcast || type == ClusterMessageType::BroadcastAck
                                  || type == ClusterMessageType::FetchSocketsResponse
                                  || type == ClusterMessageType::ServerSideEmit
                                  || type == ClusterMessageType::ServerSideEmitResponse;
    if (mayContainBinary && Protocol::Json::hasBinary(message.value(QStringLiteral("data"))))
        return MsgPack::encode(message);
    return QJsonDocument(withoutUndefined(message).toMap().toJsonObject()).toJson(QJsonDocument::Compact);
}

bool RedisShardedAdapterPrivate::spublish(const QString &ch, const QByteArray &payload)
{
    if (!connection || !registered)
        return false;
    return RedisConnectionPrivate::get(connection)->spublish(ch.toUtf8(), payload);
}

bool RedisShardedAdapterPrivate::publish(ClusterMessageType type, const QCborMap &data)
{
    QCborMap message{{QStringLiteral("type"), int(type)}};
    if (!data.isEmpty())
        message.insert(QStringLiteral("data"), data);
    message.insert(QStringLiteral("uid"), uid);
    message.insert(QStringLiteral("nsp"), nspName());
    QString ch = channel;
    // broadcasts with ack always use the namespace channel: serverCount() counts every node
    if (type == ClusterMessageType::Broadcast && !data.contains(QStringLiteral("requestId"))) {
        const QCborArray rooms = data.value(QStringLiteral("opts")).toMap().value(QStringLiteral("rooms")).toArray();
        if (rooms.size() == 1 && usesRoomChannel(rooms.at(0).toString()))
            ch = roomChannel(rooms.at(0).toString());
    }
    return spublish(ch, encode(message));
}

void RedisShardedAdapterPrivate::publishResponse(const QString &requesterUid, ClusterMessageType type,
                                                 const QCborMap &data)
{
    const QCborMap message{{QStringLiteral("type"), int(type)},
                           {QStringLiteral("data"), data},
                           {QStringLiteral("uid"), uid},
                           {QStringLiteral("nsp"), nspName()}};
    spublish(channel + requesterUid + QLatin1Char('#'), encode(message));
}

void RedisShardedAdapterPrivate::startRequest(Request request, std::chrono::milliseconds timeout, const QCborMap &data)
{
    const ClusterMessageType type = request.type;
    QCborMap fields = data;
    fields.insert(QStringLiteral("requestId"), addRequest(std::move(request), timeout, QString()));
    publish(type, fields);
}

void RedisShardedAdapterPrivate::onRoomCreated(const QString &room)
{
    Q_Q(RedisShardedAdapter);
    // dynamic: public rooms only (a socket's own room has the socket's id); dynamic-private: all
    const bool isPublic = !q->hasSocket(room);
    if (mode == RedisSubscriptionMode::Static || (mode == RedisSubscriptionMode::Dynamic && !isPublic)
        || roomChannels.contains(room))
        return;
    roomChannels.insert(room);
    if (registered && connection)
        RedisConnectionPrivate::get(connection)->shardSubscribe(true, {roomChannel(room).toUtf8()});
}

void RedisShardedAdapterPrivate::onRoomDeleted(const QString &room)
{
    if (!roomChannels.remove(room))
        return;
    if (registered && connection)
        RedisConnectionPrivate::get(connection)->shardSubscribe(false, {roomChannel(room).toUtf8()});
}

bool RedisShardedAdapterPrivate::handleMessage(const QByteArray &rawChannel, const QByteArray &payload)
{
    const QString ch = QString::fromUtf8(rawChannel);
    const bool isResponse = ch == responseChannel;
    if (!isResponse && ch != channel
        && !(ch.startsWith(channel) && ch.endsWith(QLatin1Char('#'))
             && roomChannels.contains(ch.mid(channel.size()).chopped(1))))
        return false;
    QString error;
    const QCborMap message = decodeMap(payload, &error);
    if (error.isEmpty() && !message.value(QStringLiteral("type")).isInteger())
        error = QStringLiteral("no message type");
    if (!error.isEmpty()) {
        qCWarning(lcRedis, "%s: ignoring a malformed message on %s (%d bytes): %s", qUtf8Printable(nspName()),
                  qUtf8Printable(ch), int(payload.size()), qUtf8Printable(error));
        return true;
    }
    if (isResponse)
        onResponse(message);
    else
        onMessage(message);
    return true;
}

void RedisShardedAdapterPrivate::onMessage(const QCborMap &message)
{
    Q_Q(RedisShardedAdapter);
    if (message.value(QStringLiteral("uid")).toString() == uid)
        return;   // ours
    if (message.value(QStringLiteral("nsp")).toString() != nspName())
        return;   // another namespace
    const qint64 type = message.value(QStringLiteral("type")).toInteger();
    const QString requesterUid = message.value(QStringLiteral("uid")).toString();
    const QCborValue dataValue = message.value(QStringLiteral("data"));
    const QCborMap data = dataValue.toMap();
    const auto malformed = [this, type](const char *why) {
        qCWarning(lcRedis, "%s: ignoring a message of type %lld: %s", qUtf8Printable(nspName()),
                  static_cast<long long>(type), why);
    };
    const bool needsData = type >= int(ClusterMessageType::Broadcast) && type <= int(ClusterMessageType::BroadcastAck);
    if (needsData && !dataValue.isMap()) {
        malformed("no data");
        return;
    }
    const QCborValue requestIdValue = data.value(QStringLiteral("requestId"));
    const QString requestId = requestIdValue.toString();
    const BroadcastOptions opts = optsFromCbor(data.value(QStringLiteral("opts")));

    switch (ClusterMessageType(type)) {
    case ClusterMessageType::Broadcast: {
        QString why;
        std::optional<Packet> packet = packetFromCbor(data.value(QStringLiteral("packet")), &why);
        if (!packet) {
            malformed(qPrintable(why));
            return;
        }
        if (!data.value(QStringLiteral("opts")).isMap()) {
            malformed("opts is not a map");
            return;
        }
        packet->nsp = nspName();
        if (requestIdValue.isUndefined()) {
            q->InMemoryAdapter::broadcast(*packet, opts);
            return;
        }
        packet->id = q->allocateAckId();
        QPointer<RedisShardedAdapter> guard(q);
        q->InMemoryAdapter::broadcastWithAck(
                *packet, opts,
                [guard, requesterUid, requestIdValue](int clientCount) {
                    if (guard)
                        guard->d_func()->publishResponse(requesterUid, ClusterMessageType::BroadcastClientCount,
                                                         {{QStringLiteral("requestId"), requestIdValue},
                                                          {QStringLiteral("clientCount"), clientCount}});
                },
                [guard, requesterUid, requestIdValue](const QCborArray &ackArgs) {
                    if (!guard)
                        return;
                    QCborMap response{{QStringLiteral("requestId"), requestIdValue}};
                    if (!ackArgs.isEmpty() && !ackArgs.at(0).isUndefined())
                        response.insert(QStringLiteral("packet"), ackArgs.at(0));
                    guard->d_func()->publishResponse(requesterUid, ClusterMessageType::BroadcastAck, response);
                });
        return;
    }
    case ClusterMessageType::SocketsJoin:
    case ClusterMessageType::SocketsLeave: {
        const QSet<QString> rooms = toSet(data.value(QStringLiteral("rooms")));
        const QStringList list(rooms.begin(), rooms.end());
        if (type == int(ClusterMessageType::SocketsJoin))
            q->InMemoryAdapter::addSockets(opts, list);
        else
            q->InMemoryAdapter::delSockets(opts, list);
        return;
    }
    case ClusterMessageType::DisconnectSockets:
        q->InMemoryAdapter::disconnectSockets(opts, data.value(QStringLiteral("close")).toBool(false));
        return;
    case ClusterMessageType::FetchSockets: {
        QPointer<RedisShardedAdapter> guard(q);
        q->InMemoryAdapter::fetchSockets(opts, [guard, requesterUid, requestIdValue](const QList<RemoteSocket> &sockets) {
            if (!guard)
                return;
            QCborArray list;
            for (const RemoteSocket &socket : sockets)
                list.append(socketToCbor(socket));
            guard->d_func()->publishResponse(requesterUid, ClusterMessageType::FetchSocketsResponse,
                                             {{QStringLiteral("requestId"), requestIdValue},
                                              {QStringLiteral("sockets"), list}});
        });
        return;
    }
    case ClusterMessageType::ServerSideEmit: {
        const QCborArray packet = data.value(QStringLiteral("packet")).toArray();
        if (packet.isEmpty() || !packet.at(0).isString()) {
            malformed("serverSideEmit without event name");
            return;
        }
        Namespace *nsp = q->nsp();
        if (!nsp)
            return;
        const QString event = packet.at(0).toString();
        QCborArray args = packet;
        args.removeFirst();
        QPointer<Namespace> nspGuard(nsp);
        Q_EMIT nsp->serverSideEventReceived(event, args);
        if (requestIdValue.isUndefined() || !nspGuard)
            return;
        QPointer<RedisShardedAdapter> guard(q);
        auto called = std::make_shared<bool>(false);
        Namespace::ServerSideAck ack = [guard, called, requesterUid, requestIdValue](const QCborValue &response) {
            if (*called || !guard)
                return;
            *called = true;
            QCborMap answer{{QStringLiteral("requestId"), requestIdValue}};
            if (!response.isUndefined())
                answer.insert(QStringLiteral("packet"), response);
            guard->d_func()->publishResponse(requesterUid, ClusterMessageType::ServerSideEmitResponse, answer);
        };
        Q_EMIT nspGuard->serverSideEventWithAckReceived(event, args, ack);
        return;
    }
    case ClusterMessageType::FetchSocketsResponse:
    case ClusterMessageType::ServerSideEmitResponse:
    case ClusterMessageType::BroadcastClientCount:
    case ClusterMessageType::BroadcastAck:
        onResponse(message);   // like ClusterAdapter.onMessage()
        return;
    default:
        qCDebug(lcRedis, "%s: ignoring message type %lld", qUtf8Printable(nspName()), static_cast<long long>(type));
        return;
    }
}

void RedisShardedAdapterPrivate::onResponse(const QCborMap &message)
{
    const qint64 type = message.value(QStringLiteral("type")).toInteger();
    const QCborMap data = message.value(QStringLiteral("data")).toMap();
    const QString requestId = data.value(QStringLiteral("requestId")).toString();
    if (requestId.isEmpty()) {
        qCWarning(lcRedis, "%s: ignoring a response of type %lld without requestId", qUtf8Printable(nspName()),
                  static_cast<long long>(type));
        return;
    }
    switch (ClusterMessageType(type)) {
    case ClusterMessageType::BroadcastClientCount:
        if (auto it = ackRequests.constFind(requestId); it != ackRequests.constEnd() && it->clientCount)
            it->clientCount(int(data.value(QStringLiteral("clientCount")).toInteger(0)));
        return;
    case ClusterMessageType::BroadcastAck:
        if (auto it = ackRequests.constFind(requestId); it != ackRequests.constEnd() && it->ack)
            it->ack(QCborArray{data.value(QStringLiteral("packet"))});
        return;
    case ClusterMessageType::FetchSocketsResponse: {
        auto it = requests.find(requestId);
        if (it == requests.end() || it->type != ClusterMessageType::FetchSockets)
            return;
        ++it->current;
        appendSockets(q_ptr, data.value(QStringLiteral("sockets")), &it->sockets);
        if (it->current >= it->expected)
            finishRequest(requestId, QString());
        return;
    }
    case ClusterMessageType::ServerSideEmitResponse: {
        auto it = requests.find(requestId);
        if (it == requests.end() || it->type != ClusterMessageType::ServerSideEmit)
            return;
        ++it->current;
        it->responses.append(data.value(QStringLiteral("packet")));
        if (it->current >= it->expected)
            finishRequest(requestId, QString());
        return;
    }
    default:
        qCDebug(lcRedis, "%s: ignoring response type %lld", qUtf8Printable(nspName()), static_cast<long long>(type));
        return;
    }
}

// ---- public ------------------------------------------------------------------------------

RedisShardedAdapter::RedisShardedAdapter(Namespace *nsp, RedisConnection *connection)
    : InMemoryAdapter(nsp), d_ptr(new RedisShardedAdapterPrivate)
{
    Q_D(RedisShardedAdapter);
    d->q_ptr = this;
    d->connection = connection;
    d->uid = RedisShardedAdapterPrivate::newId();
    const RedisAdapterOptions options = connection ? connection->options() : RedisAdapterOptions();
    const QString name = nsp ? nsp->name() : QStringLiteral("/");
    d->channel = options.channelPrefix + QLatin1Char('#') + name + QLatin1Char('#');
    d->responseChannel = d->channel + d->uid + QLatin1Char('#');
    d->mode = options.subscriptionMode;
    d->requestsTimeout = options.requestsTimeout;
    connect(this, &Adapter::roomCreated, this, [d](const QString &room) { d->onRoomCreated(room); });
    connect(this, &Adapter::roomDeleted, this, [d](const QString &room) { d->onRoomDeleted(room); });
}

RedisShardedAdapter::~RedisShardedAdapter()
{
    close();
    // the room hooks use the private part, which goes before the base classes
    disconnect(this, &Adapter::roomCreated, this, nullptr);
    disconnect(this, &Adapter::roomDeleted, this, nullptr);
}

QString RedisShardedAdapter::uid() const { return d_func()->uid; }
RedisConnection *RedisShardedAdapter::connection() const { return d_func()->connection; }

QStringList RedisShardedAdapter::subscribedRooms() const
{
    const QSet<QString> &rooms = d_func()->roomChannels;
    return QStringList(rooms.cbegin(), rooms.cend());
}

void RedisShardedAdapter::init()
{
    d_func()->init();
}

void RedisShardedAdapter::close()
{
    d_func()->close();
}

void RedisShardedAdapter::serverCount(const std::function<void(int)> &callback) const
{
    d_ptr->numSub([callback](int count, const QString &) { callback(count); });
}

void RedisShardedAdapter::broadcast(const Packet &packet, const BroadcastOptions &opts)
{
    Q_D(RedisShardedAdapter);
    if (!opts.flags.local)
        d->publish(ClusterMessageType::Broadcast, {{QStringLiteral("packet"), packetToCbor(packet, d->nspName())},
                                                   {QStringLiteral("opts"), optsToCbor(opts, true)}});
    InMemoryAdapter::broadcast(packet, opts);
}

void RedisShardedAdapter::broadcastWithAck(const Packet &packet, const BroadcastOptions &opts,
                                           const ClientCountCallback &clientCountCallback,
                                           const AckCallback &ackCallback)
{
    Q_D(RedisShardedAdapter);
    if (!opts.flags.local) {
        const QString requestId = RedisShardedAdapterPrivate::newId();
        d->addAckRequest(requestId, {clientCountCallback, ackCallback},
                         opts.flags.timeout.value_or(std::chrono::milliseconds::zero()));
        d->publish(ClusterMessageType::Broadcast, {{QStringLiteral("packet"), packetToCbor(packet, d->nspName())},
                                                   {QStringLiteral("requestId"), requestId},
                                                   {QStringLiteral("opts"), optsToCbor(opts, true)}});
    }
    InMemoryAdapter::broadcastWithAck(packet, opts, clientCountCallback, ackCallback);
}

void RedisShardedAdapter::fetchSockets(const BroadcastOptions &opts,
                                       const std::function<void(const QList<RemoteSocket> &)> &callback)
{
    fetchRemoteSockets(opts, [callback](const QList<RemoteSocket> &sockets, const QString &) { callback(sockets); });
}

void RedisShardedAdapter::fetchRemoteSockets(
        const BroadcastOptions &opts, const std::function<void(const QList<RemoteSocket> &, const QString &)> &callback)
{
    Q_D(RedisShardedAdapter);
    QList<RemoteSocket> local;
    InMemoryAdapter::fetchSockets(opts, [&local](const QList<RemoteSocket> &sockets) { local = sockets; });
    if (opts.flags.local) {
        callback(local, QString());
        return;
    }
    const QCborMap optsMap = optsToCbor(opts, true);
    const auto timeout = opts.flags.timeout.value_or(d->requestsTimeout);
    d->askOtherNodes(
            [local, callback, optsMap, timeout](RedisShardedAdapterPrivate *d, int others) {
                RedisShardedAdapterPrivate::Request request;
                request.type = ClusterMessageType::FetchSockets;
                request.expected = others;
                request.sockets = local;
                request.finish = [callback](const RedisShardedAdapterPrivate::Request &r, const QString &error) {
                    callback(r.sockets, error);
                };
                d->startRequest(std::move(request), timeout, {{QStringLiteral("opts"), optsMap}});
            },
            [local, callback] { callback(local, QString()); },
            [local, callback](const QString &error) { callback(local, error); });
}

void RedisShardedAdapter::addSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    Q_D(RedisShardedAdapter);
    if (!opts.flags.local) {
        QCborArray list;
        for (const QString &room : rooms)
            list.append(room);
        d->publish(ClusterMessageType::SocketsJoin,
                   {{QStringLiteral("opts"), optsToCbor(opts, true)}, {QStringLiteral("rooms"), list}});
    }
    InMemoryAdapter::addSockets(opts, rooms);
}

void RedisShardedAdapter::delSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    Q_D(RedisShardedAdapter);
    if (!opts.flags.local) {
        QCborArray list;
        for (const QString &room : rooms)
            list.append(room);
        d->publish(ClusterMessageType::SocketsLeave,
                   {{QStringLiteral("opts"), optsToCbor(opts, true)}, {QStringLiteral("rooms"), list}});
    }
    InMemoryAdapter::delSockets(opts, rooms);
}

void RedisShardedAdapter::disconnectSockets(const BroadcastOptions &opts, bool close)
{
    Q_D(RedisShardedAdapter);
    if (!opts.flags.local)
        d->publish(ClusterMessageType::DisconnectSockets,
                   {{QStringLiteral("opts"), optsToCbor(opts, true)}, {QStringLiteral("close"), close}});
    InMemoryAdapter::disconnectSockets(opts, close);
}

bool RedisShardedAdapter::serverSideEmit(const QCborArray &packet)
{
    Q_D(RedisShardedAdapter);
    d->publish(ClusterMessageType::ServerSideEmit, {{QStringLiteral("packet"), packet}});
    return true;
}

void RedisShardedAdapter::serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback)
{
    Q_D(RedisShardedAdapter);
    d->askOtherNodes(
            [packet, callback](RedisShardedAdapterPrivate *d, int others) {
                RedisShardedAdapterPrivate::Request request;
                request.type = ClusterMessageType::ServerSideEmit;
                request.expected = others;
                request.finish = [callback](const RedisShardedAdapterPrivate::Request &r, const QString &error) {
                    callback(error, r.responses);
                };
                d->startRequest(std::move(request), d->requestsTimeout, {{QStringLiteral("packet"), packet}});
            },
            [callback] { callback(QString(), QCborArray()); },
            [callback](const QString &error) { callback(error, QCborArray()); });
}

} // namespace SocketIo

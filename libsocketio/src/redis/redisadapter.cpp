#include "redisadapter.h"

#include "msgpackcodec.h"
#include "redisadapter_p.h"
#include "redisconnection_p.h"
#include "redisdetail_p.h"
#include "redislogging_p.h"
#include "protocol/json.h"

#include <SocketIo/namespace.h>

#include <QJsonDocument>
#include <QRandomGenerator>

namespace SocketIo {

namespace RedisDetail {

QCborArray toArray(const QSet<QString> &set)
{
    QCborArray array;
    for (const QString &s : set)
        array.append(s);
    return array;
}

// A JavaScript Set built from a JSON/msgpack array: strings, numbers taken as their text.
QSet<QString> toSet(const QCborValue &value)
{
    QSet<QString> set;
    const QCborArray array = value.toArray();
    for (const QCborValue &v : array) {
        if (v.isString())
            set.insert(v.toString());
        else if (v.isInteger())
            set.insert(QString::number(v.toInteger()));
        else if (v.isDouble())
            set.insert(QString::number(v.toDouble()));
    }
    return set;
}

QCborMap optsToCbor(const BroadcastOptions &opts, bool withFlags)
{
    QCborMap map;
    map.insert(QStringLiteral("rooms"), toArray(opts.rooms));
    map.insert(QStringLiteral("except"), toArray(opts.except));
    if (withFlags) {
        QCborMap flags;
        if (opts.flags.isVolatile)
            flags.insert(QStringLiteral("volatile"), true);
        if (!opts.flags.compress)
            flags.insert(QStringLiteral("compress"), false);
        if (opts.flags.timeout)
            flags.insert(QStringLiteral("timeout"), qint64(opts.flags.timeout->count()));
        map.insert(QStringLiteral("flags"), flags);
    }
    return map;
}

BroadcastOptions optsFromCbor(const QCborValue &value)
{
    BroadcastOptions opts;
    const QCborMap map = value.toMap();
    opts.rooms = toSet(map.value(QStringLiteral("rooms")));
    opts.except = toSet(map.value(QStringLiteral("except")));
    const QCborMap flags = map.value(QStringLiteral("flags")).toMap();
    opts.flags.isVolatile = flags.value(QStringLiteral("volatile")).toBool(false);
    opts.flags.compress = flags.value(QStringLiteral("compress")).toBool(true);
    opts.flags.local = true;   // delivered here, never relayed again
    return opts;
}

QCborMap packetToCbor(const Packet &packet, const QString &nsp)
{
    QCborMap map;
    map.insert(QStringLiteral("type"), int(packet.type == PacketType::BinaryEvent ? PacketType::Event : packet.type));
    map.insert(QStringLiteral("data"), packet.data);
    map.insert(QStringLiteral("nsp"), nsp);
    return map;
}

// packet.nsp absent -> "/" (emitters may omit it); only EVENTs with an [name, ...] array are accepted
std::optional<Packet> packetFromCbor(const QCborValue &value, QString *why)
{
    if (!value.isMap()) {
        *why = QStringLiteral("packet is not a map");
        return std::nullopt;
    }
    const QCborMap map = value.toMap();
    Packet packet;
    const qint64 type = map.value(QStringLiteral("type")).toInteger(-1);
    if (type != int(PacketType::Event) && type != int(PacketType::BinaryEvent)) {
        *why = QStringLiteral("packet type %1 is not an event").arg(type);
        return std::nullopt;
    }
    packet.type = PacketType::Event;
    const QCborValue nsp = map.value(QStringLiteral("nsp"));
    packet.nsp = nsp.isUndefined() ? QStringLiteral("/") : nsp.toString();
    packet.data = map.value(QStringLiteral("data"));
    const QCborArray data = packet.data.toArray();
    if (!packet.data.isArray() || data.isEmpty() || !(data.at(0).isString() || data.at(0).isInteger())) {
        *why = QStringLiteral("packet data is not [event, ...args]");
        return std::nullopt;
    }
    return packet;
}

QCborMap socketToCbor(const RemoteSocket &socket)
{
    QCborMap map = socket.toCbor();
    QCborMap handshake = map.value(QStringLiteral("handshake")).toMap();
    handshake.remove(QStringLiteral("sessionStore"));
    map.insert(QStringLiteral("handshake"), handshake);
    return map;
}

void appendSockets(Adapter *adapter, const QCborValue &list, QList<RemoteSocket> *sockets)
{
    for (const QCborValue &value : list.toArray()) {
        const QCborMap map = value.toMap();
        const QString id = map.value(QStringLiteral("id")).toString();
        if (id.isEmpty())
            continue;
        sockets->append(RemoteSocket(adapter, id, Handshake::fromCbor(map.value(QStringLiteral("handshake")).toMap()),
                                     toSet(map.value(QStringLiteral("rooms"))), map.value(QStringLiteral("data"))));
    }
}

// What JSON.stringify makes of a Node Buffer, so that JSON requests carry bytes like Node's do
static QCborValue bytesAsNodeBuffers(const QCborValue &value)
{
    if (value.isByteArray()) {
        QCborArray bytes;
        const QByteArray data = value.toByteArray();
        for (char c : data)
            bytes.append(int(uchar(c)));
        return QCborMap{{QStringLiteral("type"), QStringLiteral("Buffer")}, {QStringLiteral("data"), bytes}};
    }
    if (value.isArray()) {
        QCborArray array;
        for (const QCborValue &v : value.toArray())
            array.append(bytesAsNodeBuffers(v));
        return array;
    }
    if (value.isMap()) {
        QCborMap map;
        const QCborMap in = value.toMap();
        for (auto it = in.constBegin(); it != in.constEnd(); ++it)
            map.insert(it.key(), bytesAsNodeBuffers(it.value()));
        return map;
    }
    return value;
}

// JSON.stringify's text of the request: keys in insertion order (uid, requestId, type, then the
// rest, as Node writes them), which the socket.io JSON writer keeps (QJsonObject would sort them)
static QByteArray toJson(const QCborMap &map)
{
    return Protocol::Json::write(bytesAsNodeBuffers(map));
}

// Requests and responses come as JSON (node-redis-adapter, JSON parser) or as MessagePack.
// On failure *error is set and an empty map returned.
QCborMap decodeMap(const QByteArray &payload, QString *error)
{
    if (payload.startsWith('{')) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(payload, &parseError);
        if (doc.isObject())
            return QCborMap::fromJsonObject(doc.object());
        *error = parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                             : QStringLiteral("not an object");
        return {};
    }
    const QCborValue value = MsgPack::decode(payload, error);
    if (value.isMap())
        return value.toMap();
    if (error->isEmpty())
        *error = QStringLiteral("not a map");
    return {};
}

} // namespace RedisDetail
using namespace RedisDetail;

// ---- private ------------------------------------------------------------------------------

QString RedisAdapterPrivate::newId()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    QString id;
    for (int i = 0; i < 6; ++i)
        id.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(64)]));
    return id;
}

QList<QByteArray> RedisAdapterPrivate::numSubCommand() const
{
    return {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("NUMSUB"), requestChannel.toUtf8()};
}

QString RedisAdapterPrivate::nspName() const
{
    Q_Q(const RedisAdapter);
    return q->nsp() ? q->nsp()->name() : QString();
}

bool RedisAdapterPrivate::publish(const QString &ch, const QByteArray &payload)
{
    if (!connection || !registered)
        return false;
    return RedisConnectionPrivate::get(connection)->publish(ch.toUtf8(), payload);
}

bool RedisAdapterPrivate::publishRequest(const QCborMap &request)
{
    return publish(requestChannel, toJson(request));
}

void RedisAdapterPrivate::publishRoomsRequest(RedisRequestType type, const BroadcastOptions &opts,
                                              const QStringList &rooms)
{
    QCborArray list;
    for (const QString &room : rooms)
        list.append(room);
    publishRequest({{QStringLiteral("uid"), uid},
                    {QStringLiteral("type"), int(type)},
                    {QStringLiteral("opts"), optsToCbor(opts, false)},
                    {QStringLiteral("rooms"), list}});
}

void RedisAdapterPrivate::publishResponse(const QCborMap &request, const QByteArray &response)
{
    const QString ch = publishOnSpecificResponseChannel
                               ? responseChannel + request.value(QStringLiteral("uid")).toString() + QLatin1Char('#')
                               : responseChannel;
    publish(ch, response);
}

void RedisAdapterPrivate::handleMessage(const QByteArray &rawChannel, const QByteArray &payload)
{
    const QString ch = QString::fromUtf8(rawChannel);
    if (ch.startsWith(responseChannel))
        onResponse(payload);
    else if (ch.startsWith(requestChannel))
        onRequest(payload);
    else if (ch.startsWith(channel))
        onBroadcast(ch, payload);
}

void RedisAdapterPrivate::onBroadcast(const QString &ch, const QByteArray &payload)
{
    Q_Q(RedisAdapter);
    const QString room = ch.mid(channel.size()).chopped(ch.size() > channel.size() ? 1 : 0);
    if (!room.isEmpty() && !q->hasRoom(room))
        return;   // no local member: nothing to deliver
    QString error;
    const QCborValue message = MsgPack::decode(payload, &error);
    const QCborArray args = message.toArray();
    if (!message.isArray() || args.size() < 2) {
        qCWarning(lcRedis, "%s: ignoring a malformed broadcast on %s (%d bytes): %s", qUtf8Printable(nspName()),
                  qUtf8Printable(ch), int(payload.size()),
                  qUtf8Printable(error.isEmpty() ? QStringLiteral("not [uid, packet, opts]") : error));
        return;
    }
    if (args.at(0).toString() == uid)
        return;   // our own
    QString why;
    const std::optional<Packet> packet = packetFromCbor(args.at(1), &why);
    if (!packet) {
        qCWarning(lcRedis, "%s: ignoring a broadcast on %s: %s", qUtf8Printable(nspName()), qUtf8Printable(ch),
                  qUtf8Printable(why));
        return;
    }
    if (packet->nsp != nspName())
        return;
    if (!args.at(2).isMap() && !args.at(2).isUndefined()) {
        qCWarning(lcRedis, "%s: ignoring a broadcast on %s: opts is not a map", qUtf8Printable(nspName()),
                  qUtf8Printable(ch));
        return;
    }
    q->InMemoryAdapter::broadcast(*packet, optsFromCbor(args.at(2)));
}

void RedisAdapterPrivate::onRequest(const QByteArray &payload)
{
    Q_Q(RedisAdapter);
    QString error;
    const QCborMap request = decodeMap(payload, &error);
    if (!error.isEmpty()) {
        qCWarning(lcRedis, "%s: ignoring a malformed request (%d bytes): %s", qUtf8Printable(nspName()),
                  int(payload.size()), qUtf8Printable(error));
        return;
    }
    const qint64 type = request.value(QStringLiteral("type")).toInteger(-1);
    const QCborValue requestIdValue = request.value(QStringLiteral("requestId"));
    const QString requestId = requestIdValue.toString();
    const QString requesterUid = request.value(QStringLiteral("uid")).toString();
    const bool hasOpts = request.contains(QStringLiteral("opts"));
    const BroadcastOptions opts = optsFromCbor(request.value(QStringLiteral("opts")));

    switch (RedisRequestType(type)) {
    case RedisRequestType::Sockets: {
        if (requests.contains(requestId))
            return;
        BroadcastOptions select;
        select.rooms = toSet(request.value(QStringLiteral("rooms")));
        QCborArray ids;
        for (const QString &id : q->selectLocal(select))
            ids.append(id);
        QCborMap response{{QStringLiteral("requestId"), requestIdValue}, {QStringLiteral("sockets"), ids}};
        publishResponse(request, toJson(response));
        return;
    }
    case RedisRequestType::AllRooms: {
        if (requests.contains(requestId))
            return;
        QCborArray rooms;
        const QStringList all = q->roomNames();
        for (const QString &room : all)
            rooms.append(room);
        QCborMap response{{QStringLiteral("requestId"), requestIdValue}, {QStringLiteral("rooms"), rooms}};
        publishResponse(request, toJson(response));
        return;
    }
    case RedisRequestType::RemoteJoin:
    case RedisRequestType::RemoteLeave:
    case RedisRequestType::RemoteDisconnect: {
        if (!requesterUid.isEmpty() && requesterUid == uid)
            return;   // applied locally when sent
        if (hasOpts) {
            if (type == int(RedisRequestType::RemoteDisconnect)) {
                q->InMemoryAdapter::disconnectSockets(opts, request.value(QStringLiteral("close")).toBool(false));
            } else {
                const QSet<QString> rooms = toSet(request.value(QStringLiteral("rooms")));
                const QStringList list(rooms.begin(), rooms.end());
                if (type == int(RedisRequestType::RemoteJoin))
                    q->InMemoryAdapter::addSockets(opts, list);
                else
                    q->InMemoryAdapter::delSockets(opts, list);
            }
            return;
        }
        // legacy form {requestId, sid, room|close}: only the node holding the socket answers
        const QString sid = request.value(QStringLiteral("sid")).toString();
        if (!q->nsp() || !q->nsp()->socket(sid))
            return;
        if (type == int(RedisRequestType::RemoteJoin))
            q->joinLocal(sid, {request.value(QStringLiteral("room")).toString()});
        else if (type == int(RedisRequestType::RemoteLeave))
            q->leaveLocal(sid, {request.value(QStringLiteral("room")).toString()});
        else
            q->disconnectLocal(sid, request.value(QStringLiteral("close")).toBool(false));
        publishResponse(request, toJson(QCborMap{{QStringLiteral("requestId"), requestIdValue}}));
        return;
    }
    case RedisRequestType::RemoteFetch: {
        if (requests.contains(requestId))
            return;
        QPointer<RedisAdapter> guard(q);
        q->InMemoryAdapter::fetchSockets(opts, [guard, request, requestIdValue](const QList<RemoteSocket> &sockets) {
            if (!guard)
                return;
            QCborArray list;
            for (const RemoteSocket &socket : sockets)
                list.append(socketToCbor(socket));
            QCborMap response{{QStringLiteral("requestId"), requestIdValue}, {QStringLiteral("sockets"), list}};
            guard->d_func()->publishResponse(request, toJson(response));
        });
        return;
    }
    case RedisRequestType::ServerSideEmit: {
        if (requesterUid == uid)
            return;
        const QCborArray data = request.value(QStringLiteral("data")).toArray();
        if (data.isEmpty() || !data.at(0).isString()) {
            qCWarning(lcRedis, "%s: ignoring a serverSideEmit request without event name", qUtf8Printable(nspName()));
            return;
        }
        Namespace *nsp = q->nsp();
        if (!nsp)
            return;
        const QString event = data.at(0).toString();
        QCborArray args = data;
        args.removeFirst();
        QPointer<Namespace> nspGuard(nsp);
        Q_EMIT nsp->serverSideEventReceived(event, args);
        if (requestIdValue.isUndefined() || !nspGuard)
            return;
        QPointer<RedisAdapter> guard(q);
        auto called = std::make_shared<bool>(false);
        Namespace::ServerSideAck ack = [guard, called, requestIdValue](const QCborValue &response) {
            if (*called || !guard)
                return;
            *called = true;
            QCborMap answer{{QStringLiteral("type"), int(RedisRequestType::ServerSideEmit)},
                            {QStringLiteral("requestId"), requestIdValue}};
            if (!response.isUndefined())
                answer.insert(QStringLiteral("data"), response);
            RedisAdapterPrivate *d = guard->d_func();
            d->publish(d->responseChannel, toJson(answer));   // always the shared response channel
        };
        Q_EMIT nspGuard->serverSideEventWithAckReceived(event, args, ack);
        return;
    }
    case RedisRequestType::Broadcast: {
        if (ackRequests.contains(requestId))
            return;   // ours
        QString why;
        std::optional<Packet> packet = packetFromCbor(request.value(QStringLiteral("packet")), &why);
        if (!packet || requestId.isEmpty()) {
            qCWarning(lcRedis, "%s: ignoring a broadcast-with-ack request: %s", qUtf8Printable(nspName()),
                      qUtf8Printable(packet ? QStringLiteral("no requestId") : why));
            return;
        }
        packet->nsp = nspName();
        packet->id = q->allocateAckId();
        // as @socket.io/redis-adapter's onrequest: rooms and except only; the flags (volatile,
        // compress) of the requester do not apply on the other nodes, so every node counts and
        // delivers the same way and the requester's count of answers holds
        BroadcastOptions ackOpts;
        ackOpts.rooms = opts.rooms;
        ackOpts.except = opts.except;
        ackOpts.flags.local = true;
        QPointer<RedisAdapter> guard(q);
        q->InMemoryAdapter::broadcastWithAck(
                *packet, ackOpts,
                [guard, request, requestIdValue](int clientCount) {
                    if (!guard)
                        return;
                    QCborMap response{{QStringLiteral("type"), int(RedisRequestType::BroadcastClientCount)},
                                      {QStringLiteral("requestId"), requestIdValue},
                                      {QStringLiteral("clientCount"), clientCount}};
                    guard->d_func()->publishResponse(request, toJson(response));
                },
                [guard, request, requestIdValue](const QCborArray &ackArgs) {
                    if (!guard)
                        return;
                    QCborMap response{{QStringLiteral("type"), int(RedisRequestType::BroadcastAck)},
                                      {QStringLiteral("requestId"), requestIdValue}};
                    if (!ackArgs.isEmpty() && !ackArgs.at(0).isUndefined())
                        response.insert(QStringLiteral("packet"), ackArgs.at(0));
                    guard->d_func()->publishResponse(request, MsgPack::encode(response));
                });
        return;
    }
    default:
        qCDebug(lcRedis, "%s: ignoring request type %lld", qUtf8Printable(nspName()), static_cast<long long>(type));
        return;
    }
}

void RedisAdapterPrivate::onResponse(const QByteArray &payload)
{
    QString error;
    const QCborMap response = decodeMap(payload, &error);
    if (!error.isEmpty()) {
        qCWarning(lcRedis, "%s: ignoring a malformed response (%d bytes): %s", qUtf8Printable(nspName()),
                  int(payload.size()), qUtf8Printable(error));
        return;
    }
    const QString requestId = response.value(QStringLiteral("requestId")).toString();
    const qint64 type = response.value(QStringLiteral("type")).toInteger(-1);
    if (auto it = ackRequests.constFind(requestId); it != ackRequests.constEnd()) {
        const AckRequest ackRequest = *it;
        if (type == int(RedisRequestType::BroadcastClientCount)) {
            if (ackRequest.clientCount)
                ackRequest.clientCount(int(response.value(QStringLiteral("clientCount")).toInteger(0)));
        } else if (type == int(RedisRequestType::BroadcastAck)) {
            if (ackRequest.ack)
                ackRequest.ack(QCborArray{response.value(QStringLiteral("packet"))});
        }
        return;
    }
    auto it = requests.find(requestId);
    if (requestId.isEmpty() || it == requests.end())
        return;
    switch (it->type) {
    case RedisRequestType::RemoteFetch: {
        ++it->current;
        const QCborValue sockets = response.value(QStringLiteral("sockets"));
        if (!sockets.isArray())
            return;
        appendSockets(q_ptr, sockets, &it->sockets);
        if (it->current >= it->expected)
            finishRequest(requestId, QString());
        return;
    }
    case RedisRequestType::AllRooms: {
        ++it->current;
        const QCborValue rooms = response.value(QStringLiteral("rooms"));
        if (!rooms.isArray())
            return;
        it->rooms.unite(toSet(rooms));
        if (it->current >= it->expected)
            finishRequest(requestId, QString());
        return;
    }
    case RedisRequestType::ServerSideEmit:
        ++it->current;
        it->responses.append(response.value(QStringLiteral("data")));
        if (it->current >= it->expected)
            finishRequest(requestId, QString());
        return;
    default:
        return;
    }
}

// ---- public ------------------------------------------------------------------------------

RedisAdapter::RedisAdapter(Namespace *nsp, RedisConnection *connection)
    : InMemoryAdapter(nsp), d_ptr(new RedisAdapterPrivate)
{
    Q_D(RedisAdapter);
    d->q_ptr = this;
    d->connection = connection;
    d->uid = RedisAdapterPrivate::newId();
    const RedisAdapterOptions options = connection ? connection->options() : RedisAdapterOptions();
    const QString name = nsp ? nsp->name() : QStringLiteral("/");
    d->channel = options.key + QLatin1Char('#') + name + QLatin1Char('#');
    d->requestChannel = options.key + QStringLiteral("-request#") + name + QLatin1Char('#');
    d->responseChannel = options.key + QStringLiteral("-response#") + name + QLatin1Char('#');
    d->requestsTimeout = options.requestsTimeout;
    d->publishOnSpecificResponseChannel = options.publishOnSpecificResponseChannel;
}

RedisAdapter::~RedisAdapter()
{
    close();
}

QString RedisAdapter::uid() const { return d_func()->uid; }
RedisConnection *RedisAdapter::connection() const { return d_func()->connection; }

void RedisAdapter::init()
{
    d_func()->init();
}

void RedisAdapter::close()
{
    d_func()->close();
}

void RedisAdapter::serverCount(const std::function<void(int)> &callback) const
{
    d_ptr->numSub([callback](int count, const QString &) { callback(count); });
}

void RedisAdapter::broadcast(const Packet &packet, const BroadcastOptions &opts)
{
    Q_D(RedisAdapter);
    if (!opts.flags.local) {
        const QCborArray message{d->uid, packetToCbor(packet, d->nspName()), optsToCbor(opts, true)};
        QString ch = d->channel;
        if (opts.rooms.size() == 1)
            ch += *opts.rooms.constBegin() + QLatin1Char('#');
        d->publish(ch, MsgPack::encode(message));
    }
    InMemoryAdapter::broadcast(packet, opts);
}

void RedisAdapter::broadcastWithAck(const Packet &packet, const BroadcastOptions &opts,
                                    const ClientCountCallback &clientCountCallback, const AckCallback &ackCallback)
{
    Q_D(RedisAdapter);
    if (!opts.flags.local) {
        const QString requestId = RedisAdapterPrivate::newId();
        const QCborMap request{{QStringLiteral("uid"), d->uid},
                               {QStringLiteral("requestId"), requestId},
                               {QStringLiteral("type"), int(RedisRequestType::Broadcast)},
                               {QStringLiteral("packet"), packetToCbor(packet, d->nspName())},
                               {QStringLiteral("opts"), optsToCbor(opts, true)}};
        d->addAckRequest(requestId, {clientCountCallback, ackCallback},
                         opts.flags.timeout.value_or(std::chrono::milliseconds::zero()));
        d->publish(d->requestChannel, MsgPack::encode(request));
    }
    InMemoryAdapter::broadcastWithAck(packet, opts, clientCountCallback, ackCallback);
}

void RedisAdapter::fetchSockets(const BroadcastOptions &opts,
                                const std::function<void(const QList<RemoteSocket> &)> &callback)
{
    fetchRemoteSockets(opts, [callback](const QList<RemoteSocket> &sockets, const QString &) { callback(sockets); });
}

void RedisAdapter::fetchRemoteSockets(const BroadcastOptions &opts,
                                      const std::function<void(const QList<RemoteSocket> &, const QString &)> &callback)
{
    Q_D(RedisAdapter);
    QList<RemoteSocket> local;
    InMemoryAdapter::fetchSockets(opts, [&local](const QList<RemoteSocket> &sockets) { local = sockets; });
    if (opts.flags.local) {
        callback(local, QString());
        return;
    }
    const QCborMap optsMap = optsToCbor(opts, false);
    // as the official adapter: requestsTimeout, whatever opts.flags.timeout says
    d->askOtherNodes(
        [local, callback, optsMap](RedisAdapterPrivate *d, int others) {
            RedisAdapterPrivate::Request request;
            request.type = RedisRequestType::RemoteFetch;
            request.expected = others;
            request.sockets = local;
            request.finish = [callback](const RedisAdapterPrivate::Request &r, const QString &error) {
                callback(r.sockets, error);
            };
            d->startRequest(request, d->requestsTimeout,
                            QStringLiteral("timeout reached while waiting for fetchSockets response"),
                            {{QStringLiteral("opts"), optsMap}});
        },
        [local, callback] { callback(local, QString()); },
        [local, callback](const QString &error) { callback(local, error); });
}

void RedisAdapter::allRooms(const std::function<void(const QSet<QString> &, const QString &)> &callback)
{
    Q_D(RedisAdapter);
    const QStringList all = roomNames();
    const QSet<QString> local(all.cbegin(), all.cend());
    d->askOtherNodes(
        [local, callback](RedisAdapterPrivate *d, int others) {
            RedisAdapterPrivate::Request request;
            request.type = RedisRequestType::AllRooms;
            request.expected = others;
            request.rooms = local;
            request.finish = [callback](const RedisAdapterPrivate::Request &r, const QString &error) {
                callback(r.rooms, error);
            };
            d->startRequest(request, d->requestsTimeout,
                            QStringLiteral("timeout reached while waiting for allRooms response"));
        },
        [local, callback] { callback(local, QString()); },
        [local, callback](const QString &error) { callback(local, error); });
}

void RedisAdapterPrivate::startRequest(Request request, std::chrono::milliseconds timeout,
                                       const QString &timeoutError, const QCborMap &fields)
{
    const RedisRequestType type = request.type;
    const QString requestId = addRequest(std::move(request), timeout, timeoutError);
    QCborMap message{{QStringLiteral("uid"), uid},
                     {QStringLiteral("requestId"), requestId},
                     {QStringLiteral("type"), int(type)}};
    for (auto it = fields.cbegin(); it != fields.cend(); ++it)
        message.insert(it.key(), it.value());
    publishRequest(message);
}

void RedisAdapter::addSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    Q_D(RedisAdapter);
    if (!opts.flags.local)
        d->publishRoomsRequest(RedisRequestType::RemoteJoin, opts, rooms);
    InMemoryAdapter::addSockets(opts, rooms);
}

void RedisAdapter::delSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    Q_D(RedisAdapter);
    if (!opts.flags.local)
        d->publishRoomsRequest(RedisRequestType::RemoteLeave, opts, rooms);
    InMemoryAdapter::delSockets(opts, rooms);
}

void RedisAdapter::disconnectSockets(const BroadcastOptions &opts, bool close)
{
    Q_D(RedisAdapter);
    if (!opts.flags.local) {
        d->publishRequest({{QStringLiteral("uid"), d->uid},
                           {QStringLiteral("type"), int(RedisRequestType::RemoteDisconnect)},
                           {QStringLiteral("opts"), optsToCbor(opts, false)},
                           {QStringLiteral("close"), close}});
    }
    InMemoryAdapter::disconnectSockets(opts, close);
}

bool RedisAdapter::serverSideEmit(const QCborArray &packet)
{
    Q_D(RedisAdapter);
    d->publishRequest({{QStringLiteral("uid"), d->uid},
                       {QStringLiteral("type"), int(RedisRequestType::ServerSideEmit)},
                       {QStringLiteral("data"), packet}});
    return true;
}

void RedisAdapter::serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback)
{
    Q_D(RedisAdapter);
    d->askOtherNodes(
        [packet, callback](RedisAdapterPrivate *d, int others) {
            RedisAdapterPrivate::Request request;
            request.type = RedisRequestType::ServerSideEmit;
            request.expected = others;
            request.finish = [callback](const RedisAdapterPrivate::Request &r, const QString &error) {
                callback(error, r.responses);
            };
            d->startRequest(request, d->requestsTimeout, QString(), {{QStringLiteral("data"), packet}});
        },
        [callback] { callback(QString(), QCborArray()); },
        [callback](const QString &error) { callback(error, QCborArray()); });
}

} // namespace SocketIo

#include "socket.h"

#include "ackreply_p.h"
#include "logging_p.h"
#include "message_p.h"
#include "namespace_p.h"
#include "server_p.h"
#include "serverclient_p.h"
#include "socket_p.h"
#include "util_p.h"
#include "protocol/cborelement_p.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/adapter.h>

#include <QDateTime>
#include <QMetaMethod>
#include <QVarLengthArray>

#include <algorithm>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>

namespace SocketIo {

namespace {
// socket.io's RECOVERABLE_DISCONNECT_REASONS: the client did not mean to leave
bool isRecoverable(DisconnectReason reason)
{
    switch (reason) {
    case DisconnectReason::TransportError:
    case DisconnectReason::TransportClose:
    case DisconnectReason::ForcedClose:
    case DisconnectReason::PingTimeout:
    case DisconnectReason::ServerShuttingDown:
    case DisconnectReason::ForcedServerClose:
        return true;
    default:
        return false;
    }
}
} // namespace

Socket *SocketPrivate::create(Namespace *nsp, ServerClient *client, const EngineRequest &request,
                              const QCborMap &auth, const QCborMap &session)
{
    auto *socket = new Socket(nsp);
    SocketPrivate *d = socket->d_func();
    d->nsp = nsp;
    d->client = client;
    // the raw auth, pid and offset included, as socket.io shows it in socket.handshake.auth
    d->request = request;
    d->auth = auth;
    d->issued = QDateTime::currentMSecsSinceEpoch();
    if (!session.isEmpty()) {
        d->id = session.value(QStringLiteral("sid")).toString();
        d->pid = session.value(QStringLiteral("pid")).toString();
        d->data = session.value(QStringLiteral("data"));
        d->missedPackets = session.value(QStringLiteral("missedPackets")).toArray();
        d->recovered = true;
        // given back to the adapter as it was if the socket does not connect (abandon())
        d->restoredSession = session;
        d->restoredSession.remove(QStringLiteral("missedPackets"));
        // rooms now, as socket.io does, so middlewares that still run see them
        QSet<QString> rooms;
        const QCborArray list = session.value(QStringLiteral("rooms")).toArray();
        for (const QCborValue &room : list)
            rooms.insert(room.toString());
        if (!rooms.isEmpty())
            nsp->adapter()->addAll(d->id, rooms);
    } else {
        d->id = Internal::generateBase64Id();
        if (d->recoveryEnabled())
            d->pid = Internal::generateBase64Id();
    }
    return socket;
}

const Handshake &SocketPrivate::ensureHandshake() const
{
    if (!handshake) {
        // what Handshake::fromRequest() gives at CONNECT time, with the CONNECT's time
        Handshake h = Handshake::fromRequest(request, auth);
        const QDateTime issuedAt = QDateTime::fromMSecsSinceEpoch(issued, Qt::UTC);
        h.time = Handshake::jsDateString(issuedAt);
        h.issued = issued;
        handshake = std::make_unique<Handshake>(std::move(h));
        request = EngineRequest();
        auth = QCborMap();
    }
    return *handshake;
}

bool SocketPrivate::recoveryEnabled() const
{
    // the server's own options, not Server::options() (a copy of all of them)
    Server *server = nsp ? NamespacePrivate::get(nsp)->server : nullptr;
    return server && ServerPrivate::get(server)->options.connectionStateRecovery.enabled;
}

void SocketPrivate::onConnect()
{
    handshaking = false;
    connected = true;
    restoredSession = {};
    QSet<QString> &ownRoom = NamespacePrivate::get(nsp)->ownRoomScratch;
    if (ownRoom.isEmpty()) {
        ownRoom.insert(id);
        // the adapter may keep a copy (implicitly shared): the remove below then detaches ours
        nsp->adapter()->addAll(id, ownRoom);
        ownRoom.remove(id);
    } else {
        nsp->adapter()->addAll(id, {id});   // a slot of a join signal connected another socket
    }
    // missed packets go before the CONNECT reply, as socket.io writes them (protocol.md 7.4 item 11)
    const QCborArray missed = std::exchange(missedPackets, {});
    for (const QCborValue &eventData : missed) {
        Protocol::Packet packet;
        packet.type = Protocol::PacketType::Event;
        packet.data = eventData;
        sendPacket(packet, false);
    }
    // {"sid": id, "pid": pid} written directly (what encoding the packet with a QCborMap gives),
    // framed as the Engine.IO message in the same buffer
    if (client)
        client->writeFramed(Protocol::encodeConnectReplyMessage(nsp->name(), id, pid));
}

void SocketPrivate::abandon()
{
    handshaking = false;
    missedPackets = {};
    if (connected)
        return;
    // Only a recovered socket has a session worth keeping (a new one never connected): the one
    // the adapter handed over, as it was (its rooms and data, not what middlewares changed, and
    // its disconnection time), so that the client can recover it on its next try until it
    // expires. socket.io's adapter never takes a session out when restoring it; ours does, so
    // that two clients presenting the same pid do not both get the socket id.
    if (recovered && !restoredSession.isEmpty() && recoveryEnabled() && nsp->adapter())
        nsp->adapter()->persistSession(std::exchange(restoredSession, {}));
    // the rooms a recovered socket re-joined, and those middlewares joined: none may outlive it
    if (nsp && nsp->adapter())
        nsp->adapter()->delAll(id);
    // acks asked for from a middleware can no longer be answered
    dropPendingAcks();
}

void SocketPrivate::dropPendingAcks()
{
    const QHash<qint64, PendingAck> pending = std::exchange(acks, {});
    // in the order they were asked for (ascending ids), not the hash's
    QList<qint64> ids = pending.keys();
    std::sort(ids.begin(), ids.end());
    for (qint64 id : std::as_const(ids)) {
        const PendingAck &p = *pending.constFind(id);
        if (p.onDisconnect)
            p.onDisconnect();
    }
}

bool SocketPrivate::isUsable() const
{
    return connected || (handshaking && client);
}

void SocketPrivate::persistSession()
{
    if (pid.isEmpty() || !recoveryEnabled() || !nsp->adapter())
        return;
    QStringList rooms = nsp->adapter()->socketRooms(id).values();
    rooms.sort();
    QCborMap session;
    session.insert(QStringLiteral("sid"), id);
    session.insert(QStringLiteral("pid"), pid);
    session.insert(QStringLiteral("rooms"), QCborArray::fromStringList(rooms));
    session.insert(QStringLiteral("data"), data);
    nsp->adapter()->persistSession(session);
}

void SocketPrivate::onPacket(Protocol::Packet &&packet)
{
    switch (packet.type) {
    case Protocol::PacketType::Event:
    case Protocol::PacketType::BinaryEvent:
        onEvent(std::move(packet));
        break;
    case Protocol::PacketType::Ack:
    case Protocol::PacketType::BinaryAck:
        onAck(packet);
        break;
    case Protocol::PacketType::Disconnect:
        onClose(DisconnectReason::ClientNamespaceDisconnect);
        break;
    default:
        // CONNECT and CONNECT_ERROR are handled (as violations) by the client
        break;
    }
}

void SocketPrivate::onEvent(Protocol::Packet &&packet)
{
    Q_Q(Socket);
    // The packet lets go of its array, so the array is not shared and taking the name out of it
    // shifts the arguments in place instead of copying each of them into a new array.
    QCborArray args = packet.data.toArray();
    packet.data = QCborValue();
    QString event;
    if (packet.argsOnly) {
        event = std::move(packet.event);   // the decoder left the name out of the array
    } else if (!args.isEmpty()) {
        const QCborValueConstRef name = *args.constBegin();
        switch (Protocol::CborElement::type(name)) {
        case QCborValue::String:
            // the decoder read it already (an EVENT's name is checked against reserved names)
            event = packet.event.isNull() ? Protocol::CborElement::string(name) : std::move(packet.event);
            break;
        case QCborValue::Integer:
            event = QString::number(Protocol::CborElement::integer(name));
            break;
        case QCborValue::Double:
            event = QString::number(Protocol::CborElement::toDouble(name), 'g', 17);
            break;
        default:
            break;
        }
        args.removeFirst();
    }
    const Message message = MessagePrivate::create(q, event, args, packet.id);
    args = QCborArray();   // the message holds the only reference: handlers see it unshared

    QPointer<Socket> guard(q);
    Q_EMIT q->eventReceived(message);
    if (!guard || !connected)
        return;
    if (middlewares.isEmpty()) {
        // what runMiddlewares() would call at once, without building its callbacks
        dispatchLater(message);
        return;
    }
    runMiddlewares(message, 0, [guard, message](bool ok, const MiddlewareError &error) {
        if (!guard)
            return;
        SocketPrivate *d = SocketPrivate::get(guard);
        if (!ok) {
            d->onError(error.message, error.data);
            return;
        }
        if (!d->connected) {
            qCDebug(lcServer, "event \"%s\" after disconnection ignored", qUtf8Printable(message.event()));
            return;
        }
        d->dispatchLater(message);
    });
}

void SocketPrivate::dispatchLater(const Message &message)
{
    Q_Q(Socket);
    Server *server = nsp ? NamespacePrivate::get(nsp)->server : nullptr;
    if (!server) {
        dispatch(message);
        return;
    }
    ServerPrivate::get(server)->deferDispatch(q, message);
}

void SocketPrivate::runMiddlewares(const Message &message, int index,
                                   const std::function<void(bool, const MiddlewareError &)> &done)
{
    Q_Q(Socket);
    if (index >= middlewares.size()) {
        done(true, MiddlewareError());
        return;
    }
    const PacketMiddleware fn = middlewares.at(index);
    QPointer<Socket> guard(q);
    fn(message, Next([guard, message, index, done](bool ok, const MiddlewareError &error) {
        if (!guard)
            return;
        if (!ok) {
            done(false, error);
            return;
        }
        SocketPrivate::get(guard)->runMiddlewares(message, index + 1, done);
    }));
}

void SocketPrivate::dispatch(const Message &message)
{
    Q_Q(Socket);
    const QString event = message.event();
    // prune this event's handlers whose context died, then call a copy (handlers may add or
    // remove handlers)
    QVarLengthArray<Handler, 4> list;
    for (qsizetype i = 0; i < handlers.size();) {
        const HandlerEntry &entry = handlers.at(i);
        if (entry.event != event) {
            ++i;
        } else if (entry.handler.context.isNull()) {
            handlers.removeAt(i);
        } else {
            list.append(entry.handler);
            ++i;
        }
    }
    if (list.isEmpty())
        return;
    QPointer<Socket> guard(q);
    for (const Handler &h : list) {
        if (!guard)
            return;
        if (h.context && h.handler)
            h.handler(message);
    }
}

void SocketPrivate::onAck(const Protocol::Packet &packet)
{
    auto it = acks.find(packet.id);
    if (it == acks.end()) {
        qCDebug(lcServer, "ack with unknown id %lld ignored", static_cast<long long>(packet.id));
        return;
    }
    const PendingAck pending = it.value();
    acks.erase(it);
    if (pending.callback)
        pending.callback(packet.data.toArray());
}

void SocketPrivate::onError(const QString &message, const QCborValue &errorData)
{
    Q_Q(Socket);
    Q_EMIT q->errorOccurred(message, errorData);
}

void SocketPrivate::onClose(DisconnectReason reason, const QString &description)
{
    Q_Q(Socket);
    if (!connected)
        return;
    QPointer<Socket> guard(q);
    Q_EMIT q->disconnecting(reason, description);
    if (!guard)
        return;
    // while the rooms are still joined
    if (isRecoverable(reason))
        persistSession();
    if (nsp && nsp->adapter())
        nsp->adapter()->delAll(id);
    connected = false;
    if (client)
        client->removeSocket(q);
    if (nsp)
        NamespacePrivate::get(nsp)->remove(q);
    // pending acks: single emits fail with "socket has been disconnected", broadcast acks are forgotten
    dropPendingAcks();
    if (!guard)
        return;
    Q_EMIT q->disconnected(reason, description);
    if (guard)
        q->deleteLater();
}

bool SocketPrivate::sendPacket(Protocol::Packet packet, bool isVolatile, bool compress)
{
    if (!client)
        return false;
    packet.nsp = nsp->name();
    return client->writePacket(packet, isVolatile, compress);
}

bool SocketPrivate::writeEncoded(const EncodedPacket &encoded, bool isVolatile, bool compress)
{
    if (!client || !connected)
        return false;
    return client->writeEncoded(encoded, isVolatile, compress);
}

bool SocketPrivate::sendAck(qint64 ackId, const QCborArray &args)
{
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::Ack;
    packet.id = ackId;
    packet.data = args;
    return sendPacket(packet, false);
}

bool SocketPrivate::hasOutgoingListeners() const
{
    Q_Q(const Socket);
    static const QMetaMethod eventSentSignal = QMetaMethod::fromSignal(&Socket::eventSent);
    return q->isSignalConnected(eventSentSignal);
}

void SocketPrivate::notifyOutgoing(const QCborValue &eventData)
{
    Q_Q(Socket);
    // On a broadcast this runs once per recipient: skip building the argument list nobody reads.
    if (!hasOutgoingListeners())
        return;
    const QCborArray data = eventData.toArray();
    if (data.isEmpty())
        return;
    QCborArray args;
    for (qsizetype i = 1; i < data.size(); ++i)
        args.append(data.at(i));
    Q_EMIT q->eventSent(data.at(0).toString(), args);
}

bool SocketPrivate::emitEvent(const QString &event, const QCborArray &args, Socket::EmitFlags flags)
{
    if (Internal::refuseEmit(event, args, "Socket::emitEvent"))
        return false;
    if (!isUsable()) {
        qCDebug(lcServer, "emit \"%s\" on a disconnected socket ignored", qUtf8Printable(event));
        return false;
    }
    // Before the CONNECT reply (emitted from a middleware) the socket is in no room yet, so the
    // packet goes straight to the client, as in socket.io.
    if (connected && !pid.isEmpty() && !flags.testFlag(Socket::Volatile) && recoveryEnabled()
        && nsp->adapter()) {
        // through the adapter to the socket's own room, so the packet gets an offset and is logged
        // for recovery (socket.io does the same); the adapter reports it to eventSent()
        Packet packet;
        packet.type = PacketType::Event;
        packet.nsp = nsp->name();
        packet.data = Internal::eventData(event, args);
        BroadcastOptions opts;
        opts.rooms.insert(id);
        opts.flags.compress = !flags.testFlag(Socket::NoCompress);
        nsp->adapter()->broadcast(packet, opts);
        return true;
    }
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::Event;
    packet.data = Internal::eventData(event, args);
    QPointer<Socket> guard(q_ptr);
    notifyOutgoing(packet.data);
    if (!guard)
        return false;
    return sendPacket(packet, flags.testFlag(Socket::Volatile), !flags.testFlag(Socket::NoCompress));
}

AckReply *SocketPrivate::emitWithAck(const QString &event, const QCborArray &args,
                                     std::chrono::milliseconds timeout, Socket::EmitFlags flags)
{
    Q_Q(Socket);
    AckReply *reply = AckReplyPrivate::create();
    AckReplyPrivate *r = AckReplyPrivate::get(reply);
    if (Internal::refuseEmit(event, args, "Socket::emitWithAck")) {
        r->finishLater(AckReply::Error::NotSent);
        return reply;
    }
    // from a middleware too: the packet precedes the CONNECT reply, and the ACK, which the client
    // can only send once connected, resolves the reply as usual
    if (!isUsable()) {
        qCDebug(lcServer, "emitWithAck \"%s\" on a disconnected socket: not sent", qUtf8Printable(event));
        r->finishLater(AckReply::Error::Disconnected);
        return reply;
    }
    const qint64 ackId = NamespacePrivate::get(nsp)->allocateAckId();
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::Event;
    packet.id = ackId;
    packet.data = Internal::eventData(event, args);

    QPointer<AckReply> replyGuard(reply);
    PendingAck pending;
    pending.callback = [replyGuard](const QCborArray &ackArgs) {
        if (replyGuard)
            AckReplyPrivate::get(replyGuard)->finish(AckReply::Error::NoError, ackArgs);
    };
    pending.onDisconnect = [replyGuard] {
        if (replyGuard)
            AckReplyPrivate::get(replyGuard)->finishLater(AckReply::Error::Disconnected);
    };
    acks.insert(ackId, pending);
    QPointer<Socket> guard(q);
    r->cleanup = [guard, ackId] {
        if (guard)
            SocketPrivate::get(guard)->acks.remove(ackId);
    };
    if (timeout > std::chrono::milliseconds::zero())
        r->startTimer(timeout);

    notifyOutgoing(packet.data);
    if (guard)
        sendPacket(packet, flags.testFlag(Socket::Volatile), !flags.testFlag(Socket::NoCompress));
    return reply;
}

Socket::Socket(QObject *parent)
    : QObject(parent), d_ptr(new SocketPrivate)
{
    d_ptr->q_ptr = this;
}

Socket::~Socket()
{
    Q_D(Socket);
    // deleted while still connected (e.g. the namespace is destroyed): leave quietly
    if (d->connected) {
        d->connected = false;
        if (d->nsp && d->nsp->adapter())
            d->nsp->adapter()->delAll(d->id);
        if (d->client)
            d->client->removeSocket(this);
        if (d->nsp)
            NamespacePrivate::get(d->nsp)->remove(this);
    }
}

QString Socket::id() const { return d_func()->id; }
Namespace *Socket::nsp() const { return d_func()->nsp; }
Handshake Socket::handshake() const { return d_func()->ensureHandshake(); }
EngineSession *Socket::conn() const
{
    Q_D(const Socket);
    return d->client ? d->client->session() : nullptr;
}
bool Socket::isConnected() const { return d_func()->connected; }
bool Socket::isRecovered() const { return d_func()->recovered; }
QCborValue Socket::data() const { return d_func()->data; }
void Socket::setData(const QCborValue &data)
{
    d_func()->data = data;
    Q_EMIT dataChanged();
}

QSet<QString> Socket::rooms() const
{
    Q_D(const Socket);
    if (!d->nsp || !d->nsp->adapter())
        return {};
    return d->nsp->adapter()->socketRooms(d->id);
}

void Socket::join(const QString &room)
{
    join(QStringList{room});
}

void Socket::join(const QStringList &rooms)
{
    Q_D(Socket);
    // middlewares may join (io.use((s, next) => { s.join(room); next(); })); a refusal leaves again
    if (!d->isUsable()) {
        qCDebug(lcServer, "join on a disconnected socket ignored");
        return;
    }
    // one room at a time, in the list's order: socket.io's addAll() walks its Set in insertion
    // order, so roomCreated()/roomJoined() (and the admin UI's room_joined) come in that order;
    // a repeat is a no-op for the adapter
    for (const QString &room : rooms) {
        if (!d->isUsable())
            return;   // a slot of the previous room disconnected it
        d->nsp->adapter()->addAll(d->id, {room});
    }
}

void Socket::leave(const QString &room)
{
    Q_D(Socket);
    if (!d->isUsable()) {
        qCDebug(lcServer, "leave on a disconnected socket ignored");
        return;
    }
    d->nsp->adapter()->del(d->id, room);
}

bool Socket::emitEvent(const QString &event, const QCborArray &args, EmitFlags flags)
{
    return d_func()->emitEvent(event, args, flags);
}

bool Socket::emitEvent(const QString &event, std::initializer_list<QCborValue> args, EmitFlags flags)
{
    return emitEvent(event, Internal::toCbor(args), flags);
}

bool Socket::emitEvent(const QString &event, const QJsonArray &args, EmitFlags flags)
{
    return emitEvent(event, Internal::toCbor(args), flags);
}

bool Socket::emitEvent(const QString &event, const QVariantList &args, EmitFlags flags)
{
    return emitEvent(event, Internal::toCbor(args), flags);
}

bool Socket::send(const QCborArray &args, EmitFlags flags)
{
    return emitEvent(QStringLiteral("message"), args, flags);
}

AckReply *Socket::emitWithAck(const QString &event, const QCborArray &args, std::chrono::milliseconds timeout,
                              EmitFlags flags)
{
    return d_func()->emitWithAck(event, args, timeout, flags);
}

AckReply *Socket::emitWithAck(const QString &event, std::initializer_list<QCborValue> args,
                              std::chrono::milliseconds timeout, EmitFlags flags)
{
    return emitWithAck(event, Internal::toCbor(args), timeout, flags);
}

void Socket::on(const QString &event, const QObject *context, const EventHandler &handler)
{
    Q_D(Socket);
    if (!context) {
        qCWarning(lcServer, "Socket::on(\"%s\"): a context object is required; handler ignored",
                  qUtf8Printable(event));
        return;
    }
    if (d->handlers.isEmpty())
        d->handlers.reserve(4);   // one allocation for a typical socket's handlers
    d->handlers.append(SocketPrivate::HandlerEntry{event, {QPointer<const QObject>(context), handler}});
}

void Socket::off(const QString &event)
{
    Q_D(Socket);
    d->handlers.removeIf([&event](const SocketPrivate::HandlerEntry &entry) { return entry.event == event; });
}

void Socket::use(const PacketMiddleware &middleware)
{
    d_func()->middlewares.append(middleware);
}

BroadcastOperator Socket::broadcast() const
{
    Q_D(const Socket);
    BroadcastOptions options;
    options.except.insert(d->id);
    options.flags.broadcast = true;
    return BroadcastOperator(d->nsp, options);
}

BroadcastOperator Socket::to(const QString &room) const { return broadcast().to(room); }
BroadcastOperator Socket::to(const QStringList &rooms) const { return broadcast().to(rooms); }
BroadcastOperator Socket::in(const QString &room) const { return broadcast().to(room); }
BroadcastOperator Socket::except(const QString &room) const { return broadcast().except(room); }

void Socket::disconnect(bool close)
{
    Q_D(Socket);
    if (!d->connected)
        return;
    if (close) {
        if (d->client)
            d->client->disconnectAll();
        return;
    }
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::Disconnect;
    d->sendPacket(packet, false);
    d->onClose(DisconnectReason::ServerNamespaceDisconnect);
}

} // namespace SocketIo

#include "clientsocket.h"

#include "ackreply_p.h"
#include "client_p.h"
#include "clientlogging_p.h"
#include "clientsocket_p.h"
#include "message_p.h"
#include "util_p.h"

#include "protocol/json.h"

#include <QCborMap>

#include <algorithm>
#include <memory>

namespace SocketIo {

namespace {

const QString kV2Message = QStringLiteral(
    "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not "
    "compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)");

bool refuse(const QString &event, const QCborArray &args, const char *where)
{
    if (Protocol::isReservedEventName(event)) {
        qCWarning(lcClient, "%s: \"%s\" is a reserved event name; nothing sent", where, qUtf8Printable(event));
        return true;
    }
    const int binaries = Internal::countBinaries(QCborValue(args));
    if (binaries > Protocol::MaxAttachments) {
        qCWarning(lcClient, "%s: \"%s\" carries %d binary values, more than the %d a Socket.IO peer accepts; "
                  "nothing sent", where, qUtf8Printable(event), binaries, Protocol::MaxAttachments);
        return true;
    }
    return false;
}

} // namespace

ClientSocket *ClientSocketPrivate::create(Client *client, const QString &nsp, const ClientSocketOptions &options)
{
    auto *socket = new ClientSocket(client);
    auto *d = socket->d_func();
    d->client = client;
    d->nsp = nsp;
    d->options = options;
    if (ClientPrivate::get(client)->options.autoConnect) {
        // socket.io-client opens in the constructor; we wait for the event loop so that the
        // application can connect its signals first
        d->autoOpenPending = true;
        QMetaObject::invokeMethod(socket, [d] {
            if (d->autoOpenPending)
                d->q_ptr->open();
        }, Qt::QueuedConnection);
    }
    return socket;
}

void ClientSocketPrivate::setActive(bool a)
{
    Q_Q(ClientSocket);
    if (active == a)
        return;
    active = a;
    Q_EMIT q->activeChanged(a);
}

void ClientSocketPrivate::onEngineOpen()
{
    Q_Q(ClientSocket);
    if (!active || connected || connectInFlight)
        return;
    connectInFlight = true;
    const quint64 generation = ++connectGeneration;
    if (options.authCallback) {
        QPointer<ClientSocket> guard(q);
        auto once = std::make_shared<bool>(false);
        options.authCallback([guard, generation, once](const QCborMap &auth) {
            if (*once) {
                qCWarning(lcClient, "auth callback completed more than once; ignored");
                return;
            }
            *once = true;
            if (!guard)
                return;
            auto *d = ClientSocketPrivate::get(guard);
            if (d->connectGeneration != generation || !d->active || d->connected || !d->connectInFlight) {
                qCDebug(lcClient, "auth for an earlier connection attempt of \"%s\" ignored", qUtf8Printable(d->nsp));
                return;
            }
            d->sendConnect(auth);
        });
    } else {
        sendConnect(options.auth);
    }
}

void ClientSocketPrivate::sendConnect(const QCborMap &auth)
{
    QCborMap data;
    if (!pid.isEmpty()) {
        // {pid, offset, ...auth}: the application's keys win
        data.insert(QStringLiteral("pid"), pid);
        if (!lastOffset.isEmpty())
            data.insert(QStringLiteral("offset"), lastOffset);
    }
    for (auto it = auth.cbegin(); it != auth.cend(); ++it)
        data.insert(it.key(), it.value());
    Protocol::Packet packet;
    packet.type = Protocol::PacketType::Connect;
    packet.nsp = nsp;
    if (!data.isEmpty() || !pid.isEmpty())
        packet.data = data;
    if (Protocol::Json::hasBinary(data))
        qCWarning(lcClient, "the auth of \"%s\" holds byte arrays: CONNECT is plain JSON, they go as null "
                  "(encode binary data as base64)", qUtf8Printable(nsp));
    qCDebug(lcClient, "joining \"%s\"", qUtf8Printable(nsp));
    ClientPrivate::get(client)->sendPacket(packet);
}

void ClientSocketPrivate::onEngineError(const ConnectErrorDetails &details)
{
    if (!connected)
        emitConnectError(details);
}

void ClientSocketPrivate::emitConnectError(const ConnectErrorDetails &details)
{
    Q_Q(ClientSocket);
    lastConnectError = details;
    Q_EMIT q->connectError(details.message, details.data);
}

void ClientSocketPrivate::onEngineClose(DisconnectReason reason, const QString &description)
{
    // socket.io-client: the Manager's close reaches every socket listening on it, joined or not
    // (a socket still waiting for its CONNECT reply gets "disconnect" too).
    onClose(reason, description, true);
}

void ClientSocketPrivate::onClose(DisconnectReason reason, const QString &description, bool evenIfNotConnected)
{
    Q_Q(ClientSocket);
    connectInFlight = false;
    receiveBuffer.clear();
    const bool wasConnected = connected;
    connected = false;
    id.clear();
    QPointer<ClientSocket> guard(q);
    if (wasConnected || evenIfNotConnected) {
        qCDebug(lcClient, "\"%s\" disconnected%s: %s", qUtf8Printable(nsp),
                wasConnected ? "" : " before its CONNECT reply", qUtf8Printable(reasonString(reason)));
        if (wasConnected) {
            Q_EMIT q->connectedChanged(false);
            if (!guard)
                return;
        }
        Q_EMIT q->disconnected(reason, description);
        if (!guard)
            return;
    }
    clearAcks();
}

void ClientSocketPrivate::clearAcks()
{
    // Acks of packets still in the send buffer stay: those packets go out after the next connect.
    QList<qint64> ids;
    for (auto it = acks.cbegin(); it != acks.cend(); ++it) {
        bool buffered = false;
        for (const Outgoing &out : std::as_const(sendBuffer)) {
            if (out.packet.id == it.key()) {
                buffered = true;
                break;
            }
        }
        if (!buffered)
            ids.append(it.key());
    }
    // In the order they were sent, as socket.io-client (ascending ack ids), not the hash's.
    std::sort(ids.begin(), ids.end());
    for (qint64 ackId : std::as_const(ids)) {
        QPointer<AckReply> reply = acks.take(ackId);
        if (reply)
            AckReplyPrivate::get(reply)->finish(AckReply::Error::Disconnected);
    }
}

void ClientSocketPrivate::onPacket(const Protocol::Packet &packet)
{
    switch (packet.type) {
    case Protocol::PacketType::Connect: {
        const QCborValue sid = packet.data.isMap() ? packet.data.toMap().value(QStringLiteral("sid")) : QCborValue();
        if (sid.isString() && !sid.toString().isEmpty()) {
            // A second reply while connected is taken as socket.io-client takes it: the socket
            // gets the new id and connected() again; the connection stays open.
            const QCborValue pidValue = packet.data.toMap().value(QStringLiteral("pid"));
            onConnect(sid.toString(), pidValue.isString() ? pidValue.toString() : QString());
        } else {
            // As socket.io-client: connect_error with the v2 hint; the connection stays open
            // (other namespaces on it are not concerned) and this socket stays unjoined.
            qCWarning(lcClient, "CONNECT reply for \"%s\" without a sid (a Socket.IO v2 server?)", qUtf8Printable(nsp));
            connectInFlight = false;
            ConnectErrorDetails details;
            details.message = kV2Message;
            emitConnectError(details);
        }
        return;
    }
    case Protocol::PacketType::Event:
    case Protocol::PacketType::BinaryEvent:
        onEvent(packet);
        return;
    case Protocol::PacketType::Ack:
    case Protocol::PacketType::BinaryAck:
        onAck(packet);
        return;
    case Protocol::PacketType::Disconnect:
        onServerDisconnect();
        return;
    case Protocol::PacketType::ConnectError:
        onConnectError(packet.data);
        return;
    }
}

void ClientSocketPrivate::onConnect(const QString &sid, const QString &newPid)
{
    Q_Q(ClientSocket);
    connectInFlight = false;
    const bool idChanged = std::exchange(id, sid) != sid;
    recovered = !newPid.isEmpty() && newPid == pid;
    pid = newPid;
    const bool wasConnected = std::exchange(connected, true);
    qCDebug(lcClient, "\"%s\" connected as %s%s", qUtf8Printable(nsp), qUtf8Printable(sid),
            recovered ? " (recovered)" : "");
    QPointer<ClientSocket> guard(q);
    if (!wasConnected || idChanged) // also the notifier of the id property
        Q_EMIT q->connectedChanged(true);
    // socket.io-client's emitBuffered(): received events first, then the buffered emits
    const QList<Message> received = std::exchange(receiveBuffer, {});
    for (const Message &message : received) {
        if (!guard || !connected)
            return;
        dispatch(message);
    }
    if (!guard || !connected)
        return;
    const QList<Outgoing> buffered = std::exchange(sendBuffer, {});
    for (const Outgoing &out : buffered) {
        if (!guard || !connected)
            return;
        send(out);
    }
    if (!guard || !connected)
        return;
    drainQueue(true);
    if (!guard || !connected)
        return;
    Q_EMIT q->connected();
}

void ClientSocketPrivate::onEvent(const Protocol::Packet &packet)
{
    Q_Q(ClientSocket);
    if (!packet.data.isArray() || packet.data.toArray().isEmpty()) {
        qCDebug(lcClient, "EVENT without a name on \"%s\" ignored", qUtf8Printable(nsp));
        return;
    }
    QCborArray args = packet.data.toArray();
    const QCborValue name = args.takeAt(0);
    QString event;
    if (name.isString())
        event = name.toString();
    else if (name.isInteger())
        event = QString::number(name.toInteger());
    else
        event = QString::number(name.toDouble());
    const qint64 ackId = packet.id;
    QPointer<ClientSocket> guard(q);
    const Message message = MessagePrivate::createForClient(q, event, args, ackId, [guard, ackId](const QCborArray &ackArgs) {
        if (!guard)
            return false;
        return ClientSocketPrivate::get(guard)->sendAck(ackId, ackArgs);
    });
    if (connected)
        dispatch(message);
    else
        receiveBuffer.append(message);
}

void ClientSocketPrivate::dispatch(const Message &message)
{
    Q_Q(ClientSocket);
    // connection state recovery: the server appends the offset as the last (string) argument;
    // socket.io-client remembers the last string argument of every event once it has a pid
    // (an event with an ack id ends with the ack function there, so it never counts)
    const QCborArray args = message.args();
    if (!pid.isEmpty() && !message.needsAck() && !args.isEmpty() && args.last().isString())
        lastOffset = args.last().toString();

    QPointer<ClientSocket> guard(q);
    Q_EMIT q->eventReceived(message);
    if (!guard)
        return;
    const QList<Handler> list = handlers.value(message.event());
    for (const Handler &h : list) {
        if (!guard)
            return;
        if (h.context && h.handler)
            h.handler(message);
    }
}

void ClientSocketPrivate::onAck(const Protocol::Packet &packet)
{
    QPointer<AckReply> reply = acks.take(packet.id);
    if (!reply) {
        qCDebug(lcClient, "ACK with unknown id %lld on \"%s\" ignored", packet.id, qUtf8Printable(nsp));
        return;
    }
    AckReplyPrivate::get(reply)->finish(AckReply::Error::NoError,
                                         packet.data.isArray() ? packet.data.toArray() : QCborArray());
}

void ClientSocketPrivate::onServerDisconnect()
{
    Q_Q(ClientSocket);
    qCDebug(lcClient, "\"%s\": the server disconnected the socket", qUtf8Printable(nsp));
    QPointer<ClientSocket> guard(q);
    destroy();
    if (guard)
        onClose(DisconnectReason::IoServerDisconnect, QString());
}

void ClientSocketPrivate::onConnectError(const QCborValue &data)
{
    Q_Q(ClientSocket);
    QString message;
    QCborValue extra;
    if (data.isMap()) {
        message = data.toMap().value(QStringLiteral("message")).toString();
        extra = data.toMap().value(QStringLiteral("data"));
    } else {
        message = data.toString();
    }
    qCInfo(lcClient, "\"%s\" refused by the server: %s", qUtf8Printable(nsp), qUtf8Printable(message));
    connectInFlight = false;
    QPointer<ClientSocket> guard(q);
    destroy();
    if (guard) {
        ConnectErrorDetails details;
        details.message = message;
        details.data = extra;
        emitConnectError(details);
    }
}

void ClientSocketPrivate::destroy()
{
    Q_Q(ClientSocket);
    receiveBuffer.clear();
    autoOpenPending = false;
    QPointer<ClientSocket> guard(q);
    setActive(false);
    // socket.io-client: destroy() always calls io._destroy(), which closes the Manager when no
    // socket is active, also for a socket that never became active (this cancels the Client's
    // pending auto-open, which would otherwise open an idle engine that reconnects for ever)
    if (guard)
        ClientPrivate::get(client)->onSocketDeactivated();
}

bool ClientSocketPrivate::emitPacket(const QString &event, const QCborArray &args, ClientSocket::EmitFlags flags,
                                     AckReply *reply, std::optional<std::chrono::milliseconds> timeout)
{
    Q_Q(ClientSocket);
    Outgoing out;
    out.packet = Protocol::makeEventPacket(nsp, event, args);
    out.event = event;
    out.args = args;

    const bool isVolatile = flags.testFlag(ClientSocket::Volatile);
    const bool writable = ClientPrivate::get(client)->isWritable();
    // socket.io-client drops a volatile packet only when the transport cannot take it now; one
    // emitted while the transport is writable but the namespace not joined yet is buffered.
    if (isVolatile && !writable) {
        qCDebug(lcClient, "volatile \"%s\" dropped: the transport is not writable", qUtf8Printable(event));
        if (reply)
            AckReplyPrivate::get(reply)->finishLater(AckReply::Error::NotSent);
        return false;
    }

    if (reply) {
        const qint64 ackId = ids++;
        out.packet.id = ackId;
        acks.insert(ackId, reply);
        auto *rd = AckReplyPrivate::get(reply);
        QPointer<ClientSocket> guard(q);
        rd->cleanup = [guard, ackId] {
            if (!guard)
                return;
            auto *d = ClientSocketPrivate::get(guard);
            d->acks.remove(ackId);
            // a packet that timed out while buffered is not sent any more
            d->sendBuffer.removeIf([ackId](const Outgoing &o) { return o.packet.id == ackId; });
        };
        // zero is a real timeout (socket.timeout(0)): the timer fires from the event loop
        if (timeout)
            rd->startTimer(std::max(*timeout, std::chrono::milliseconds::zero()));
    }

    // As socket.io-client: a connection whose ping is overdue (the machine slept) is about to
    // close; what is emitted meanwhile waits in the buffer for the next connection.
    EngineClient *engine = ClientPrivate::get(client)->engine;
    if (connected && engine && !engine->hasPingExpired())
        send(out);
    else
        sendBuffer.append(out);
    return true;
}

void ClientSocketPrivate::send(const Outgoing &out)
{
    Q_Q(ClientSocket);
    QPointer<ClientSocket> guard(q);
    Q_EMIT q->eventSent(out.event, out.args);
    if (guard)
        ClientPrivate::get(client)->sendPacket(out.packet);
}

bool ClientSocketPrivate::sendAck(qint64 ackId, const QCborArray &args)
{
    const int binaries = Internal::countBinaries(QCborValue(args));
    if (binaries > Protocol::MaxAttachments) {
        qCWarning(lcClient, "ack carries %d binary values, more than %d; not sent", binaries, Protocol::MaxAttachments);
        return false;
    }
    if (!connected) {
        qCDebug(lcClient, "ack %lld on \"%s\": not connected; dropped", ackId, qUtf8Printable(nsp));
        return false;
    }
    return ClientPrivate::get(client)->sendPacket(Protocol::makeAckPacket(nsp, ackId, args));
}

void ClientSocketPrivate::addToQueue(const QString &event, const QCborArray &args, ClientSocket::EmitFlags flags,
                                     AckReply *reply, std::optional<std::chrono::milliseconds> timeout)
{
    Queued packet;
    packet.seq = queueSeq++;
    packet.event = event;
    packet.args = args;
    packet.flags = flags;
    packet.timeout = timeout ? timeout : options.ackTimeout;
    packet.reply = reply;
    queue.append(packet);
    drainQueue(false);
}

void ClientSocketPrivate::drainQueue(bool force)
{
    Q_Q(ClientSocket);
    if (!connected || queue.isEmpty())
        return;
    Queued &packet = queue.first();
    if (packet.pending && !force)
        return;
    packet.pending = true;
    packet.tryCount++;
    const quint64 seq = packet.seq;
    qCDebug(lcClient, "sending queued packet %llu (try %d)", seq, packet.tryCount);
    AckReply *attempt = AckReplyPrivate::create();
    QObject::connect(attempt, &AckReply::finished, q, [this, attempt, seq] {
        Q_Q(ClientSocket);
        if (queue.isEmpty() || queue.first().seq != seq) {
            qCDebug(lcClient, "queued packet %llu already acknowledged", seq);
            return;
        }
        Queued &head = queue.first();
        QPointer<AckReply> userReply;
        AckReply::Error error = attempt->error();
        if (error != AckReply::Error::NoError) {
            if (head.tryCount > options.retries) {
                qCDebug(lcClient, "queued packet %llu discarded after %d tries", seq, head.tryCount);
                userReply = head.reply;
                queue.removeFirst();
            } else {
                head.pending = false;
            }
        } else {
            userReply = head.reply;
            queue.removeFirst();
        }
        QPointer<ClientSocket> guard(q);
        if (userReply)
            AckReplyPrivate::get(userReply)->finish(error, attempt->args());
        if (guard)
            drainQueue(false);
    });
    emitPacket(packet.event, packet.args, packet.flags, attempt, packet.timeout);
}

ClientSocket::ClientSocket(QObject *parent)
    : QObject(parent), d_ptr(new ClientSocketPrivate)
{
    d_ptr->q_ptr = this;
}

ClientSocket::~ClientSocket()
{
    Q_D(ClientSocket);
    for (auto it = d->acks.cbegin(); it != d->acks.cend(); ++it) {
        if (AckReply *reply = it.value()) {
            AckReplyPrivate::get(reply)->cleanup = nullptr;
            AckReplyPrivate::get(reply)->finishLater(AckReply::Error::Disconnected);
        }
    }
    for (const auto &queued : std::as_const(d->queue)) {
        if (queued.reply)
            AckReplyPrivate::get(queued.reply)->finishLater(AckReply::Error::Disconnected);
    }
    if (d->client) {
        auto *cd = ClientPrivate::get(d->client);
        if (!cd->destroying)
            cd->sockets.removeAll(this);
    }
}

QString ClientSocket::id() const { return d_func()->id; }
QString ClientSocket::namespaceName() const { return d_func()->nsp; }
Client *ClientSocket::client() const { return d_func()->client; }
ClientSocketOptions ClientSocket::options() const { return d_func()->options; }
bool ClientSocket::isConnected() const { return d_func()->connected; }
bool ClientSocket::isActive() const { return d_func()->active; }
bool ClientSocket::isRecovered() const { return d_func()->recovered; }
ConnectErrorDetails ClientSocket::lastConnectError() const { return d_func()->lastConnectError; }
QCborMap ClientSocket::auth() const { return d_func()->options.auth; }

void ClientSocket::setAuth(const QCborMap &auth)
{
    Q_D(ClientSocket);
    d->options.auth = auth;
    d->options.authCallback = nullptr;
}

void ClientSocket::setAuthCallback(const AuthCallback &callback)
{
    d_func()->options.authCallback = callback;
}

void ClientSocket::open()
{
    Q_D(ClientSocket);
    d->autoOpenPending = false;
    if (d->connected)
        return;
    d->setActive(true);
    auto *cd = ClientPrivate::get(d->client);
    if (!cd->reconnecting)
        cd->openEngine(false);
    if (cd->isOpen())
        d->onEngineOpen();
}

void ClientSocket::close()
{
    Q_D(ClientSocket);
    d->autoOpenPending = false;
    const bool wasConnected = d->connected;
    if (wasConnected) {
        Protocol::Packet packet;
        packet.type = Protocol::PacketType::Disconnect;
        packet.nsp = d->nsp;
        ClientPrivate::get(d->client)->sendPacket(packet);
    }
    QPointer<ClientSocket> guard(this);
    d->destroy();
    if (guard)
        d->onClose(DisconnectReason::IoClientDisconnect, QString());
}

bool ClientSocket::emitEvent(const QString &event, const QCborArray &args, EmitFlags flags)
{
    Q_D(ClientSocket);
    if (refuse(event, args, "ClientSocket::emitEvent"))
        return false;
    if (d->options.retries > 0 && !flags.testFlag(Volatile)) {
        d->addToQueue(event, args, flags, nullptr, std::nullopt);
        return true;
    }
    return d->emitPacket(event, args, flags, nullptr, std::nullopt);
}

bool ClientSocket::emitEvent(const QString &event, std::initializer_list<QCborValue> args, EmitFlags flags)
{
    return emitEvent(event, Internal::toCbor(args), flags);
}

bool ClientSocket::emitEvent(const QString &event, const QJsonArray &args, EmitFlags flags)
{
    return emitEvent(event, QCborArray::fromJsonArray(args), flags);
}

bool ClientSocket::emitEvent(const QString &event, const QVariantList &args, EmitFlags flags)
{
    return emitEvent(event, QCborArray::fromVariantList(args), flags);
}

bool ClientSocket::send(const QCborArray &args, EmitFlags flags)
{
    return emitEvent(QStringLiteral("message"), args, flags);
}

AckReply *ClientSocket::emitWithAck(const QString &event, const QCborArray &args,
                                    std::optional<std::chrono::milliseconds> timeout, EmitFlags flags)
{
    Q_D(ClientSocket);
    AckReply *reply = AckReplyPrivate::create();
    if (refuse(event, args, "ClientSocket::emitWithAck")) {
        AckReplyPrivate::get(reply)->finishLater(AckReply::Error::NotSent);
        return reply;
    }
    if (d->options.retries > 0 && !flags.testFlag(Volatile)) {
        d->addToQueue(event, args, flags, reply, timeout);
        return reply;
    }
    if (!timeout)
        timeout = d->options.ackTimeout;
    d->emitPacket(event, args, flags, reply, timeout);
    return reply;
}

AckReply *ClientSocket::emitWithAck(const QString &event, std::initializer_list<QCborValue> args,
                                    std::optional<std::chrono::milliseconds> timeout, EmitFlags flags)
{
    return emitWithAck(event, Internal::toCbor(args), timeout, flags);
}

void ClientSocket::on(const QString &event, const QObject *context, const EventHandler &handler)
{
    Q_D(ClientSocket);
    if (!context) {
        qCWarning(lcClient, "ClientSocket::on(\"%s\"): a context object is required; handler ignored",
                  qUtf8Printable(event));
        return;
    }
    auto &list = d->handlers[event];
    list.removeIf([](const ClientSocketPrivate::Handler &h) { return !h.context; });
    list.append({QPointer<const QObject>(context), handler});
}

void ClientSocket::off(const QString &event)
{
    d_func()->handlers.remove(event);
}

} // namespace SocketIo

#include "adapter.h"

#include "protocol/enginepacket.h"
#include "socketio/logging_p.h"
#include "socketio/namespace_p.h"
#include "socketio/socket_p.h"
#include "socketio/util_p.h"

#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/socket.h>

namespace SocketIo {

class AdapterPrivate
{
public:
    Namespace *nsp = nullptr;
};

Adapter::Adapter(Namespace *nsp)
    : QObject(nsp), d_ptr(new AdapterPrivate)
{
    d_ptr->nsp = nsp;
}

Adapter::~Adapter() = default;

Namespace *Adapter::nsp() const { return d_func()->nsp; }

void Adapter::init() {}
void Adapter::close() {}

void Adapter::serverCount(const std::function<void(int)> &callback) const
{
    callback(1);
}

bool Adapter::serverSideEmit(const QCborArray &packet)
{
    qCWarning(lcAdapter, "serverSideEmit(\"%s\"): this adapter has no other server nodes; nothing sent",
              qUtf8Printable(packet.at(0).toString()));
    return false;
}

void Adapter::serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback)
{
    qCWarning(lcAdapter, "serverSideEmit(\"%s\") with ack: this adapter has no other server nodes",
              qUtf8Printable(packet.at(0).toString()));
    if (callback)
        callback(QStringLiteral("this adapter does not support the serverSideEmit() functionality"), QCborArray());
}

qint64 Adapter::allocateAckId()
{
    Namespace *n = nsp();
    return n ? NamespacePrivate::get(n)->allocateAckId() : 0;
}

void Adapter::persistSession(const QCborMap &) {}

void Adapter::restoreSession(const QString &, const QString &, const std::function<void(const QCborMap &)> &callback)
{
    callback(QCborMap());
}

EncodedPacket Adapter::encode(const Packet &packet)
{
    EncodedPacket encoded = Internal::encode(packet);
    // The Engine.IO message every recipient's session sends unchanged (our encoder writes valid
    // UTF-8). An empty text (a packet that cannot be encoded) keeps the engine's own framing.
    if (!encoded.text.isEmpty())
        encoded.engineMessage = Protocol::messageText(encoded.text);
    return encoded;
}

Socket *Adapter::localSocket(const QString &id) const
{
    Q_D(const Adapter);
    return d->nsp ? d->nsp->socket(id) : nullptr;
}

bool Adapter::writeToSocket(const QString &id, const Packet &packet, const EncodedPacket &encoded,
                            const BroadcastFlags &flags)
{
    Socket *socket = localSocket(id);
    if (!socket)
        return false;
    SocketPrivate *d = SocketPrivate::get(socket);
    // The outgoing hook runs application code, which may delete the socket; without a listener
    // (the common case, once per recipient of a broadcast) no guard is needed.
    if ((packet.type == PacketType::Event || packet.type == PacketType::BinaryEvent) && d->hasOutgoingListeners()) {
        QPointer<Socket> guard(socket);
        d->notifyOutgoing(packet.data);
        if (!guard)
            return false;
    }
    return d->writeEncoded(encoded, flags.isVolatile, flags.compress);
}

bool Adapter::expectAck(const QString &id, qint64 ackId, const AckCallback &callback)
{
    Socket *socket = localSocket(id);
    if (!socket)
        return false;
    SocketPrivate::PendingAck pending;
    pending.callback = callback;
    SocketPrivate::get(socket)->acks.insert(ackId, pending);
    // lets the local broadcast forget the id on this socket when it finishes, answered or not
    if (Namespace *n = nsp(); n && !NamespacePrivate::get(n)->addBroadcastAckTarget(ackId, socket))
        qCDebug(lcAdapter, "ack %lld expected from %s outside a local broadcast: kept until answered or "
                "disconnected", static_cast<long long>(ackId), qUtf8Printable(id));
    return true;
}

std::optional<RemoteSocket> Adapter::remoteSocketFor(const QString &id)
{
    Socket *socket = localSocket(id);
    if (!socket)
        return std::nullopt;
    return RemoteSocket(this, socket->id(), socket->handshake(), socket->rooms(), socket->data());
}

void Adapter::joinLocal(const QString &id, const QStringList &rooms)
{
    if (Socket *socket = localSocket(id))
        socket->join(rooms);
}

void Adapter::leaveLocal(const QString &id, const QStringList &rooms)
{
    QPointer<Socket> socket = localSocket(id);
    for (const QString &room : rooms) {
        if (socket)
            socket->leave(room);
    }
}

void Adapter::disconnectLocal(const QString &id, bool close)
{
    if (Socket *socket = localSocket(id))
        socket->disconnect(close);
}

} // namespace SocketIo

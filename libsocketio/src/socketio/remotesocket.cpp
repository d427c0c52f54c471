#include "remotesocket.h"

#include "logging_p.h"
#include "util_p.h"

#include <SocketIo/adapter.h>
#include <SocketIo/namespace.h>

namespace SocketIo {

RemoteSocket::RemoteSocket() = default;

RemoteSocket::RemoteSocket(Adapter *adapter, const QString &id, const Handshake &handshake,
                           const QSet<QString> &rooms, const QCborValue &data)
    : m_adapter(adapter), m_id(id), m_handshake(handshake), m_rooms(rooms), m_data(data)
{
}

bool RemoteSocket::isValid() const { return !m_id.isEmpty(); }
QString RemoteSocket::id() const { return m_id; }
Handshake RemoteSocket::handshake() const { return m_handshake; }
QSet<QString> RemoteSocket::rooms() const { return m_rooms; }
QCborValue RemoteSocket::data() const { return m_data; }

namespace {
BroadcastOptions only(const QString &id)
{
    BroadcastOptions opts;
    opts.rooms.insert(id);
    return opts;
}
} // namespace

bool RemoteSocket::emitEvent(const QString &event, const QCborArray &args) const
{
    if (Internal::refuseEmit(event, args, "RemoteSocket::emitEvent"))
        return false;
    if (!m_adapter || !m_adapter->nsp())
        return false;
    Packet packet;
    packet.type = PacketType::Event;
    packet.nsp = m_adapter->nsp()->name();
    packet.data = Internal::eventData(event, args);
    m_adapter->broadcast(packet, only(m_id));
    return true;
}

bool RemoteSocket::emitEvent(const QString &event, std::initializer_list<QCborValue> args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

bool RemoteSocket::emitEvent(const QString &event, const QJsonArray &args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

bool RemoteSocket::emitEvent(const QString &event, const QVariantList &args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

void RemoteSocket::join(const QStringList &rooms) const
{
    if (m_adapter)
        m_adapter->addSockets(only(m_id), rooms);
}

void RemoteSocket::leave(const QString &room) const
{
    if (m_adapter)
        m_adapter->delSockets(only(m_id), {room});
}

void RemoteSocket::disconnect(bool close) const
{
    if (m_adapter)
        m_adapter->disconnectSockets(only(m_id), close);
}

QCborMap RemoteSocket::toCbor() const
{
    QCborMap map;
    map.insert(QStringLiteral("id"), m_id);
    map.insert(QStringLiteral("handshake"), m_handshake.toCbor());
    QCborArray rooms;
    for (const QString &room : m_rooms)
        rooms.append(room);
    map.insert(QStringLiteral("rooms"), rooms);
    map.insert(QStringLiteral("data"), m_data);
    return map;
}

} // namespace SocketIo

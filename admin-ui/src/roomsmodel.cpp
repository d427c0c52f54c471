#include "roomsmodel.h"

#include "socketsmodel.h"

#include <QHash>
#include <QSet>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

namespace {
struct RoomEntry
{
    QString nsp;
    QString name;
    QStringList members;
};
struct ClientEntry
{
    QString id;
    QStringList socketKeys;   // "nsp\nid"
    QString transport;
    QString address;
};

QString keyOf(const QString &nsp, const QString &room)
{
    return nsp + QLatin1Char('\n') + room;
}
} // namespace

class RoomsModelPrivate
{
public:
    QHash<QString, RoomEntry> rooms;
    QHash<QString, QSet<QString>> roomsOfSocket;   // socket key -> room keys
    QStringList order;
};

RoomsModel::RoomsModel(QObject *parent)
    : KeyedListModel(parent), d_ptr(std::make_unique<RoomsModelPrivate>())
{
}

RoomsModel::~RoomsModel() = default;

QHash<int, QByteArray> RoomsModel::roleNames() const
{
    return {{NameRole, "name"}, {NamespaceRole, "nsp"}, {IsPrivateRole, "isPrivate"},
            {SocketIdsRole, "socketIds"}, {SocketCountRole, "socketCount"}};
}

void RoomsModel::join(const QString &nsp, const QString &room, const QString &socketId)
{
    Q_D(RoomsModel);
    const QString key = keyOf(nsp, room);
    auto it = d->rooms.find(key);
    if (it == d->rooms.end()) {
        it = d->rooms.insert(key, RoomEntry{nsp, room, {}});
        d->order.append(key);
    }
    if (it->members.contains(socketId))
        return;
    it->members.append(socketId);
    d->roomsOfSocket[SocketsModel::keyOf(nsp, socketId)].insert(key);
    markDirty(key);
}

void RoomsModel::leave(const QString &nsp, const QString &room, const QString &socketId)
{
    Q_D(RoomsModel);
    const QString key = keyOf(nsp, room);
    auto it = d->rooms.find(key);
    if (it == d->rooms.end() || it->members.removeAll(socketId) == 0)
        return;
    const QString socketKey = SocketsModel::keyOf(nsp, socketId);
    auto rs = d->roomsOfSocket.find(socketKey);
    if (rs != d->roomsOfSocket.end()) {
        rs->remove(key);
        if (rs->isEmpty())
            d->roomsOfSocket.erase(rs);
    }
    if (it->members.isEmpty()) {
        d->rooms.erase(it);
        if (d->order.size() > 2 * d->rooms.size() + 1024)
            d->order = allKeys();
    }
    markDirty(key);
}

void RoomsModel::removeSocket(const QString &nsp, const QString &socketId)
{
    Q_D(RoomsModel);
    const QSet<QString> roomKeys = d->roomsOfSocket.value(SocketsModel::keyOf(nsp, socketId));
    for (const QString &key : roomKeys) {
        const auto it = d->rooms.constFind(key);
        if (it != d->rooms.cend())
            leave(nsp, it->name, socketId);
    }
}

void RoomsModel::resetAll()
{
    Q_D(RoomsModel);
    d->rooms.clear();
    d->roomsOfSocket.clear();
    d->order.clear();
    markReset();
}

QStringList RoomsModel::members(const QString &nsp, const QString &room) const
{
    Q_D(const RoomsModel);
    return d->rooms.value(keyOf(nsp, room)).members;
}

bool RoomsModel::contains(const QString &nsp, const QString &room) const
{
    Q_D(const RoomsModel);
    return d->rooms.contains(keyOf(nsp, room));
}

bool RoomsModel::hasKey(const QString &key) const
{
    Q_D(const RoomsModel);
    return d->rooms.contains(key);
}

QStringList RoomsModel::allKeys() const
{
    Q_D(const RoomsModel);
    QStringList keys;
    QSet<QString> seen;
    for (const QString &key : d->order) {
        if (d->rooms.contains(key) && !seen.contains(key)) {
            seen.insert(key);
            keys.append(key);
        }
    }
    return keys;
}

QVariant RoomsModel::dataForKey(const QString &key, int role) const
{
    Q_D(const RoomsModel);
    const auto it = d->rooms.constFind(key);
    if (it == d->rooms.cend())
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return it->name;
    case NamespaceRole: return it->nsp;
    case IsPrivateRole: return it->members.size() == 1 && it->members.constFirst() == it->name;
    case SocketIdsRole: return it->members;
    case SocketCountRole: return int(it->members.size());
    default: return {};
    }
}

// ---- ClientsModel -------------------------------------------------------------------------

class ClientsModelPrivate
{
public:
    QHash<QString, ClientEntry> clients;
    QStringList order;
};

ClientsModel::ClientsModel(QObject *parent)
    : KeyedListModel(parent), d_ptr(std::make_unique<ClientsModelPrivate>())
{
}

ClientsModel::~ClientsModel() = default;

QHash<int, QByteArray> ClientsModel::roleNames() const
{
    return {{ClientIdRole, "clientId"}, {SocketIdsRole, "socketIds"}, {NamespacesRole, "namespaces"},
            {SocketCountRole, "socketCount"}, {TransportRole, "transport"}, {AddressRole, "address"}};
}

void ClientsModel::addSocket(const QString &clientId, const QString &nsp, const QString &socketId,
                             const QString &transport, const QString &address)
{
    Q_D(ClientsModel);
    if (clientId.isEmpty())
        return;
    auto it = d->clients.find(clientId);
    if (it == d->clients.end()) {
        it = d->clients.insert(clientId, ClientEntry{clientId, {}, transport, address});
        d->order.append(clientId);
    }
    const QString socketKey = SocketsModel::keyOf(nsp, socketId);
    if (!it->socketKeys.contains(socketKey))
        it->socketKeys.append(socketKey);
    if (!transport.isEmpty())
        it->transport = transport;
    markDirty(clientId);
}

void ClientsModel::removeSocket(const QString &clientId, const QString &nsp, const QString &socketId)
{
    Q_D(ClientsModel);
    auto it = d->clients.find(clientId);
    if (it == d->clients.end())
        return;
    it->socketKeys.removeAll(SocketsModel::keyOf(nsp, socketId));
    if (it->socketKeys.isEmpty()) {
        d->clients.erase(it);
        if (d->order.size() > 2 * d->clients.size() + 1024)
            d->order = allKeys();
    }
    markDirty(clientId);
}

void ClientsModel::setTransport(const QString &clientId, const QString &transport)
{
    Q_D(ClientsModel);
    auto it = d->clients.find(clientId);
    if (it == d->clients.end() || it->transport == transport)
        return;
    it->transport = transport;
    markDirty(clientId);
}

void ClientsModel::resetAll()
{
    Q_D(ClientsModel);
    d->clients.clear();
    d->order.clear();
    markReset();
}

bool ClientsModel::contains(const QString &clientId) const
{
    Q_D(const ClientsModel);
    return d->clients.contains(clientId);
}

QStringList ClientsModel::sockets(const QString &clientId) const
{
    return dataForKey(clientId, SocketIdsRole).toStringList();
}

bool ClientsModel::hasKey(const QString &key) const
{
    Q_D(const ClientsModel);
    return d->clients.contains(key);
}

QStringList ClientsModel::allKeys() const
{
    Q_D(const ClientsModel);
    QStringList keys;
    QSet<QString> seen;
    for (const QString &key : d->order) {
        if (d->clients.contains(key) && !seen.contains(key)) {
            seen.insert(key);
            keys.append(key);
        }
    }
    return keys;
}

QVariant ClientsModel::dataForKey(const QString &key, int role) const
{
    Q_D(const ClientsModel);
    const auto it = d->clients.constFind(key);
    if (it == d->clients.cend())
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case ClientIdRole: return it->id;
    case SocketIdsRole:
    case NamespacesRole: {
        QStringList out;
        for (const QString &socketKey : it->socketKeys) {
            const qsizetype nl = socketKey.indexOf(QLatin1Char('\n'));
            out.append(role == SocketIdsRole ? socketKey.mid(nl + 1) : socketKey.left(nl));
        }
        return out;
    }
    case SocketCountRole: return int(it->socketKeys.size());
    case TransportRole: return it->transport;
    case AddressRole: return it->address;
    default: return {};
    }
}

} // namespace SocketIo::Dashboard

#include "socketsmodel.h"

#include <QDateTime>
#include <QHash>
#include <QJsonValue>
#include <QSet>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

namespace {
struct SocketEntry
{
    QString id;
    QString clientId;
    QString transport;
    QString nsp;
    QString address;
    QStringList rooms;
    QJsonObject handshake;
    QJsonValue data;
    QDateTime connectedAt;
};
} // namespace

class SocketsModelPrivate
{
public:
    QHash<QString, SocketEntry> sockets;
    QStringList order;   // insertion order, for a reset (all_sockets)

    static SocketEntry parse(const QJsonObject &o, const QDateTime &connectedAt)
    {
        SocketEntry e;
        e.id = o.value(u"id"_s).toString();
        e.clientId = o.value(u"clientId"_s).toString();
        e.transport = o.value(u"transport"_s).toString();
        e.nsp = o.value(u"nsp"_s).toString();
        e.handshake = o.value(u"handshake"_s).toObject();
        e.address = e.handshake.value(u"address"_s).toString();
        e.data = o.value(u"data"_s);
        for (const QJsonValue &r : o.value(u"rooms"_s).toArray())
            e.rooms.append(r.toString());
        e.connectedAt = connectedAt;
        if (!e.connectedAt.isValid()) {
            const QJsonValue issued = e.handshake.value(u"issued"_s);
            if (issued.isDouble())
                e.connectedAt = QDateTime::fromMSecsSinceEpoch(qint64(issued.toDouble()), Qt::UTC);
        }
        return e;
    }
};

SocketsModel::SocketsModel(QObject *parent)
    : KeyedListModel(parent), d_ptr(std::make_unique<SocketsModelPrivate>())
{
}

SocketsModel::~SocketsModel() = default;

QString SocketsModel::keyOf(const QString &nsp, const QString &id)
{
    return nsp + QLatin1Char('\n') + id;
}

QHash<int, QByteArray> SocketsModel::roleNames() const
{
    return {
        {SocketIdRole, "socketId"}, {ClientIdRole, "clientId"}, {TransportRole, "transport"},
        {NamespaceRole, "nsp"}, {AddressRole, "address"}, {RoomsRole, "rooms"},
        {RoomsTextRole, "roomsText"}, {HandshakeRole, "handshake"}, {DataRole, "data"},
        {ConnectedAtRole, "connectedAt"}, {UserAgentRole, "userAgent"},
    };
}

void SocketsModel::replaceAll(const QJsonArray &sockets)
{
    Q_D(SocketsModel);
    d->sockets.clear();
    d->order.clear();
    d->sockets.reserve(sockets.size());
    for (const QJsonValue &v : sockets) {
        SocketEntry e = SocketsModelPrivate::parse(v.toObject(), QDateTime());
        if (e.id.isEmpty())
            continue;
        const QString key = keyOf(e.nsp, e.id);
        if (!d->sockets.contains(key))
            d->order.append(key);
        d->sockets.insert(key, std::move(e));
    }
    markReset();
}

void SocketsModel::addSocket(const QJsonObject &socket, const QDateTime &connectedAt)
{
    Q_D(SocketsModel);
    SocketEntry e = SocketsModelPrivate::parse(socket, connectedAt);
    if (e.id.isEmpty())
        return;
    const QString key = keyOf(e.nsp, e.id);
    if (!d->sockets.contains(key))
        d->order.append(key);
    d->sockets.insert(key, std::move(e));
    markDirty(key);
}

bool SocketsModel::updateSocket(const QJsonObject &update)
{
    Q_D(SocketsModel);
    const QString key = keyOf(update.value(u"nsp"_s).toString(), update.value(u"id"_s).toString());
    auto it = d->sockets.find(key);
    if (it == d->sockets.end())
        return false;
    if (update.contains(u"transport"_s))
        it->transport = update.value(u"transport"_s).toString();
    if (update.contains(u"data"_s)) {
        // merged like the official UI (lodash merge): objects key by key, anything else replaced
        const QJsonValue incoming = update.value(u"data"_s);
        if (incoming.isObject() && it->data.isObject()) {
            QJsonObject merged = it->data.toObject();
            const QJsonObject add = incoming.toObject();
            for (auto f = add.constBegin(); f != add.constEnd(); ++f)
                merged.insert(f.key(), f.value());
            it->data = merged;
        } else {
            it->data = incoming;
        }
    }
    markDirty(key);
    return true;
}

QString SocketsModel::removeSocket(const QString &nsp, const QString &id)
{
    Q_D(SocketsModel);
    const QString key = keyOf(nsp, id);
    auto it = d->sockets.find(key);
    if (it == d->sockets.end())
        return {};
    const QString clientId = it->clientId;
    d->sockets.erase(it);
    // order is only read on a reset: drop the stale keys now and then, not on every removal
    if (d->order.size() > 2 * d->sockets.size() + 1024)
        d->order = allKeys();
    markDirty(key);
    return clientId;
}

bool SocketsModel::joinRoom(const QString &nsp, const QString &room, const QString &id)
{
    Q_D(SocketsModel);
    const QString key = keyOf(nsp, id);
    auto it = d->sockets.find(key);
    if (it == d->sockets.end())
        return false;
    if (!it->rooms.contains(room)) {
        it->rooms.append(room);
        markDirty(key);
    }
    return true;
}

bool SocketsModel::leaveRoom(const QString &nsp, const QString &room, const QString &id)
{
    Q_D(SocketsModel);
    const QString key = keyOf(nsp, id);
    auto it = d->sockets.find(key);
    if (it == d->sockets.end())
        return false;
    if (it->rooms.removeAll(room) > 0)
        markDirty(key);
    return true;
}

void SocketsModel::clear()
{
    Q_D(SocketsModel);
    d->sockets.clear();
    d->order.clear();
    markReset();
    flush();
}

bool SocketsModel::contains(const QString &nsp, const QString &id) const
{
    Q_D(const SocketsModel);
    return d->sockets.contains(keyOf(nsp, id));
}

QStringList SocketsModel::rooms(const QString &nsp, const QString &id) const
{
    Q_D(const SocketsModel);
    return d->sockets.value(keyOf(nsp, id)).rooms;
}

QVariantMap SocketsModel::socket(const QString &nsp, const QString &id) const
{
    const QString key = keyOf(nsp, id);
    if (!hasKey(key))
        return {};
    QVariantMap map;
    const auto names = roleNames();
    for (auto it = names.cbegin(); it != names.cend(); ++it)
        map.insert(QString::fromUtf8(it.value()), dataForKey(key, it.key()));
    return map;
}

bool SocketsModel::hasKey(const QString &key) const
{
    Q_D(const SocketsModel);
    return d->sockets.contains(key);
}

QStringList SocketsModel::allKeys() const
{
    Q_D(const SocketsModel);
    QStringList keys;
    keys.reserve(d->sockets.size());
    QSet<QString> seen;
    for (const QString &key : d->order) {
        if (d->sockets.contains(key) && !seen.contains(key)) {
            seen.insert(key);
            keys.append(key);
        }
    }
    return keys;
}

QVariant SocketsModel::dataForKey(const QString &key, int role) const
{
    Q_D(const SocketsModel);
    const auto it = d->sockets.constFind(key);
    if (it == d->sockets.cend())
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case SocketIdRole: return it->id;
    case ClientIdRole: return it->clientId;
    case TransportRole: return it->transport;
    case NamespaceRole: return it->nsp;
    case AddressRole: return it->address;
    case RoomsRole: return it->rooms;
    case RoomsTextRole: return it->rooms.join(u", "_s);
    case HandshakeRole: return it->handshake.toVariantMap();
    case DataRole: return it->data.toVariant();
    case ConnectedAtRole: return it->connectedAt;
    case UserAgentRole:
        return it->handshake.value(u"headers"_s).toObject().value(u"user-agent"_s).toString();
    default: return {};
    }
}

// ---- SocketsFilterModel -----------------------------------------------------------------

SocketsFilterModel::SocketsFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    connect(this, &QAbstractItemModel::rowsInserted, this, &SocketsFilterModel::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &SocketsFilterModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &SocketsFilterModel::countChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, &SocketsFilterModel::countChanged);
}

SocketsFilterModel::~SocketsFilterModel() = default;

QString SocketsFilterModel::filterText() const { return m_filterText; }
QString SocketsFilterModel::namespaceFilter() const { return m_namespace; }
QString SocketsFilterModel::sortField() const { return m_sortField; }
bool SocketsFilterModel::descending() const { return m_descending; }
int SocketsFilterModel::count() const { return rowCount(); }

void SocketsFilterModel::setFilterText(const QString &text)
{
    if (text == m_filterText)
        return;
    m_filterText = text;
    invalidateFilter();
    Q_EMIT filterChanged();
    Q_EMIT countChanged();
}

void SocketsFilterModel::setNamespaceFilter(const QString &nsp)
{
    if (nsp == m_namespace)
        return;
    m_namespace = nsp;
    invalidateFilter();
    Q_EMIT filterChanged();
    Q_EMIT countChanged();
}

void SocketsFilterModel::setSortField(const QString &field)
{
    if (field == m_sortField)
        return;
    m_sortField = field;
    applySort();
    Q_EMIT sortChanged();
}

void SocketsFilterModel::setDescending(bool descending)
{
    if (descending == m_descending)
        return;
    m_descending = descending;
    applySort();
    Q_EMIT sortChanged();
}

void SocketsFilterModel::applySort()
{
    if (m_sortField.isEmpty()) {
        sort(-1);
        return;
    }
    const QByteArray name = m_sortField == u"rooms"_s ? QByteArray("roomsText") : m_sortField.toUtf8();
    const int role = roleNames().key(name, -1);
    if (role < 0)
        return;
    setSortRole(role);
    sort(0, m_descending ? Qt::DescendingOrder : Qt::AscendingOrder);
}

QVariantMap SocketsFilterModel::get(int row) const
{
    return rowToMap(this, row);
}

bool SocketsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_namespace.isEmpty() && idx.data(SocketsModel::NamespaceRole).toString() != m_namespace)
        return false;
    if (m_filterText.isEmpty())
        return true;
    for (int role : {SocketsModel::SocketIdRole, SocketsModel::ClientIdRole, SocketsModel::TransportRole,
                     SocketsModel::NamespaceRole, SocketsModel::AddressRole, SocketsModel::RoomsTextRole}) {
        if (idx.data(role).toString().contains(m_filterText, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

} // namespace SocketIo::Dashboard

#include "serversmodel.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QTimer>

#include <algorithm>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

namespace {
struct ServerEntry
{
    QJsonObject stats;   // merged server_stats
    qint64 lastPing = 0; // local clock, ms
    bool healthy = true;
};
} // namespace

class ServersModelPrivate
{
public:
    QHash<QString, ServerEntry> servers;
    QStringList order;
    int threshold = 10000;
    QTimer healthTimer;
};

ServersModel::ServersModel(QObject *parent)
    : KeyedListModel(parent), d_ptr(std::make_unique<ServersModelPrivate>())
{
    Q_D(ServersModel);
    setBatchInterval(0);   // a few rows, once per 2 s: no need to wait
    d->healthTimer.setInterval(1000);
    connect(&d->healthTimer, &QTimer::timeout, this, &ServersModel::updateHealth);
    d->healthTimer.start();
}

ServersModel::~ServersModel() = default;

QHash<int, QByteArray> ServersModel::roleNames() const
{
    return {{ServerIdRole, "serverId"}, {HostnameRole, "hostname"}, {PidRole, "pid"},
            {UptimeRole, "uptime"}, {ClientsCountRole, "clientsCount"},
            {PollingClientsCountRole, "pollingClientsCount"}, {HealthyRole, "healthy"},
            {LastPingRole, "lastPing"}, {NamespacesRole, "namespaces"}};
}

void ServersModel::updateStats(const QJsonObject &stats)
{
    Q_D(ServersModel);
    const QString id = stats.value(u"serverId"_s).toString();
    if (id.isEmpty())
        return;
    auto it = d->servers.find(id);
    if (it == d->servers.end()) {
        it = d->servers.insert(id, ServerEntry());
        d->order.append(id);
    }
    for (auto f = stats.constBegin(); f != stats.constEnd(); ++f) {
        if (f.key() != u"aggregatedEvents"_s)
            it->stats.insert(f.key(), f.value());
    }
    it->lastPing = QDateTime::currentMSecsSinceEpoch();
    it->healthy = true;
    markDirty(id);
    Q_EMIT statsChanged();
}

QHash<QString, int> ServersModel::namespaceCounts() const
{
    Q_D(const ServersModel);
    QHash<QString, int> counts;
    for (const ServerEntry &s : d->servers) {
        if (!s.healthy)
            continue;
        for (const QJsonValue &n : s.stats.value(u"namespaces"_s).toArray()) {
            const QJsonObject o = n.toObject();
            counts[o.value(u"name"_s).toString()] += o.value(u"socketsCount"_s).toInt();
        }
    }
    return counts;
}

int ServersModel::totalClients() const
{
    Q_D(const ServersModel);
    int total = 0;
    for (const ServerEntry &s : d->servers) {
        if (s.healthy)
            total += s.stats.value(u"clientsCount"_s).toInt();
    }
    return total;
}

int ServersModel::healthyCount() const
{
    Q_D(const ServersModel);
    return int(std::count_if(d->servers.cbegin(), d->servers.cend(), [](const ServerEntry &s) { return s.healthy; }));
}

bool ServersModel::isHealthy(const QString &serverId) const
{
    Q_D(const ServersModel);
    return d->servers.value(serverId).healthy && d->servers.contains(serverId);
}

bool ServersModel::contains(const QString &serverId) const
{
    Q_D(const ServersModel);
    return d->servers.contains(serverId);
}

int ServersModel::healthyThreshold() const
{
    Q_D(const ServersModel);
    return d->threshold;
}

void ServersModel::setHealthyThreshold(int ms)
{
    Q_D(ServersModel);
    d->threshold = ms;
    d->healthTimer.setInterval(std::clamp(ms / 10, 50, 1000));
}

void ServersModel::updateHealth()
{
    Q_D(ServersModel);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    bool changed = false;
    for (auto it = d->servers.begin(); it != d->servers.end(); ++it) {
        const bool healthy = now - it->lastPing < d->threshold;
        if (healthy != it->healthy) {
            it->healthy = healthy;
            markDirty(it.key());
            changed = true;
        }
    }
    if (changed)
        Q_EMIT statsChanged();
}

bool ServersModel::removeServer(const QString &serverId)
{
    Q_D(ServersModel);
    const auto it = d->servers.constFind(serverId);
    if (it == d->servers.cend() || it->healthy)
        return false;
    d->servers.erase(it);
    d->order.removeOne(serverId);
    markDirty(serverId);
    Q_EMIT statsChanged();
    return true;
}

void ServersModel::resetAll()
{
    Q_D(ServersModel);
    d->servers.clear();
    d->order.clear();
    markReset();
    Q_EMIT statsChanged();
}

bool ServersModel::hasKey(const QString &key) const
{
    Q_D(const ServersModel);
    return d->servers.contains(key);
}

QStringList ServersModel::allKeys() const
{
    Q_D(const ServersModel);
    return d->order;
}

QVariant ServersModel::dataForKey(const QString &key, int role) const
{
    Q_D(const ServersModel);
    const auto it = d->servers.constFind(key);
    if (it == d->servers.cend())
        return {};
    const QJsonObject &s = it->stats;
    switch (role) {
    case Qt::DisplayRole:
    case ServerIdRole: return key;
    case HostnameRole: return s.value(u"hostname"_s).toString();
    case PidRole: return s.value(u"pid"_s).toInt();
    case UptimeRole: return s.value(u"uptime"_s).toDouble();
    case ClientsCountRole: return s.value(u"clientsCount"_s).toInt();
    case PollingClientsCountRole: return s.value(u"pollingClientsCount"_s).toInt();
    case HealthyRole: return it->healthy;
    case LastPingRole: return QDateTime::fromMSecsSinceEpoch(it->lastPing);
    case NamespacesRole: return s.value(u"namespaces"_s).toArray().toVariantList();
    default: return {};
    }
}

// ---- NamespacesModel ------------------------------------------------------------------------

class NamespacesModelPrivate
{
public:
    QHash<QString, int> counts;
    QStringList order;
};

NamespacesModel::NamespacesModel(QObject *parent)
    : KeyedListModel(parent), d_ptr(std::make_unique<NamespacesModelPrivate>())
{
    setBatchInterval(0);
}

NamespacesModel::~NamespacesModel() = default;

QHash<int, QByteArray> NamespacesModel::roleNames() const
{
    return {{NameRole, "name"}, {SocketsCountRole, "socketsCount"}};
}

void NamespacesModel::setCounts(const QHash<QString, int> &counts)
{
    Q_D(NamespacesModel);
    bool namesChangedNow = false;
    for (auto it = d->counts.cbegin(); it != d->counts.cend(); ++it) {
        if (!counts.contains(it.key())) {
            markDirty(it.key());
            namesChangedNow = true;
        }
    }
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        const auto old = d->counts.constFind(it.key());
        if (old == d->counts.cend()) {
            namesChangedNow = true;
            markDirty(it.key());
        } else if (old.value() != it.value()) {
            markDirty(it.key());
        }
    }
    d->counts = counts;
    d->order = counts.keys();
    d->order.sort();
    if (namesChangedNow)
        Q_EMIT namesChanged();
}

int NamespacesModel::socketsCount(const QString &name) const
{
    Q_D(const NamespacesModel);
    return d->counts.value(name, -1);
}

QStringList NamespacesModel::names() const
{
    Q_D(const NamespacesModel);
    return d->order;
}

bool NamespacesModel::hasKey(const QString &key) const
{
    Q_D(const NamespacesModel);
    return d->counts.contains(key);
}

QStringList NamespacesModel::allKeys() const
{
    Q_D(const NamespacesModel);
    return d->order;
}

QVariant NamespacesModel::dataForKey(const QString &key, int role) const
{
    Q_D(const NamespacesModel);
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return key;
    case SocketsCountRole: return d->counts.value(key);
    default: return {};
    }
}

} // namespace SocketIo::Dashboard

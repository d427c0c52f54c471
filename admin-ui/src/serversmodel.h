#pragma once

#include "keyedlistmodel.h"

#include <QJsonObject>

namespace SocketIo::Dashboard {

class ServersModelPrivate;

/*!
  The servers behind the admin namespace, one row per serverId (server_stats, merged as the
  official UI does). A server is healthy while its last stats are younger than
  healthyThreshold() (10 s, the official UI's HEALTHY_THRESHOLD); health is re-evaluated every
  second.
*/
class ServersModel : public KeyedListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
    Q_PROPERTY(int totalClients READ totalClients NOTIFY statsChanged)
    Q_PROPERTY(int healthyCount READ healthyCount NOTIFY statsChanged)
public:
    enum Role {
        ServerIdRole = Qt::UserRole + 1,
        HostnameRole,
        PidRole,
        UptimeRole,           // seconds (double)
        ClientsCountRole,
        PollingClientsCountRole,
        HealthyRole,
        LastPingRole,         // QDateTime of the last stats
        NamespacesRole,       // QVariantList of {name, socketsCount}
    };
    Q_ENUM(Role)

    explicit ServersModel(QObject *parent = nullptr);
    ~ServersModel() override;
    QHash<int, QByteArray> roleNames() const override;

    /*! Merges one server_stats object. */
    void updateStats(const QJsonObject &stats);
    /*! Sum of socketsCount per namespace over the healthy servers (the official UI's namespace
        list); a server that stopped reporting no longer counts. */
    QHash<QString, int> namespaceCounts() const;
    /*! Sum of clientsCount over the healthy servers. */
    int totalClients() const;
    int healthyCount() const;
    bool isHealthy(const QString &serverId) const;
    bool contains(const QString &serverId) const;

    int healthyThreshold() const;
    void setHealthyThreshold(int ms);
    /*! Re-evaluates health now (also done every second). */
    void updateHealth();
    void resetAll();
    /*! Forgets an unhealthy server (the official UI's "remove" of a server that left the
        cluster); false for a healthy or unknown one. It comes back if it reports again. */
    Q_INVOKABLE bool removeServer(const QString &serverId);

Q_SIGNALS:
    void statsChanged();

protected:
    bool hasKey(const QString &key) const override;
    QStringList allKeys() const override;
    QVariant dataForKey(const QString &key, int role) const override;

private:
    std::unique_ptr<ServersModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ServersModel)
    Q_DISABLE_COPY(ServersModel)
};

class NamespacesModelPrivate;

/*! Namespaces with their socket count summed over every server (from server_stats). */
class NamespacesModel : public KeyedListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
    Q_PROPERTY(QStringList names READ names NOTIFY namesChanged)
public:
    enum Role { NameRole = Qt::UserRole + 1, SocketsCountRole };
    Q_ENUM(Role)

    explicit NamespacesModel(QObject *parent = nullptr);
    ~NamespacesModel() override;
    QHash<int, QByteArray> roleNames() const override;

    /*! Replaces the counts (namespaces absent from \a counts disappear). */
    void setCounts(const QHash<QString, int> &counts);
    int socketsCount(const QString &name) const;
    QStringList names() const;

Q_SIGNALS:
    void namesChanged();

protected:
    bool hasKey(const QString &key) const override;
    QStringList allKeys() const override;
    QVariant dataForKey(const QString &key, int role) const override;

private:
    std::unique_ptr<NamespacesModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(NamespacesModel)
    Q_DISABLE_COPY(NamespacesModel)
};

} // namespace SocketIo::Dashboard

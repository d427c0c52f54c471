#pragma once

#include <QAbstractListModel>
#include <QJsonArray>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SocketIo::Dashboard {

class ChartSeriesPrivate;

/*!
  The overview charts: the aggregatedEvents of every server_stats, re-bucketed into 10 s slots
  over the last 10 minutes (60 rows, oldest first), as the official UI does. Each row has the
  slot's start (epoch ms) and its connections (rawConnection), disconnections
  (rawDisconnection), bytesIn, bytesOut, packetsIn and packetsOut. The window moves with the
  clock (and with newer events): old slots are removed from the top and new ones appended, never
  a reset. Events older than the window are dropped.
*/
class ChartSeries : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
    Q_PROPERTY(double maxConnections READ maxConnections NOTIFY valuesChanged)
    Q_PROPERTY(double maxBytes READ maxBytes NOTIFY valuesChanged)
    Q_PROPERTY(double totalConnections READ totalConnections NOTIFY valuesChanged)
    Q_PROPERTY(double totalDisconnections READ totalDisconnections NOTIFY valuesChanged)
    Q_PROPERTY(double totalBytesIn READ totalBytesIn NOTIFY valuesChanged)
    Q_PROPERTY(double totalBytesOut READ totalBytesOut NOTIFY valuesChanged)
    Q_PROPERTY(qint64 windowStart READ windowStart NOTIFY valuesChanged)
public:
    static constexpr int SlotMs = 10000;   // the official UI's bucket
    static constexpr int SlotCount = 60;   // 10 minutes

    enum Role {
        TimestampRole = Qt::UserRole + 1,
        ConnectionsRole,
        DisconnectionsRole,
        BytesInRole,
        BytesOutRole,
        PacketsInRole,
        PacketsOutRole,
    };
    Q_ENUM(Role)

    explicit ChartSeries(QObject *parent = nullptr);
    ~ChartSeries() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    /*! Adds the aggregatedEvents array of one server_stats. */
    void addAggregatedEvents(const QJsonArray &events);
    /*! Moves the window so that its last slot contains \a nowMs (called every 10 s with the clock). */
    void advanceTo(qint64 nowMs);
    /*! Empties every slot. */
    void clear();

    /*! One value of one slot, by role name (for Canvas painting). */
    Q_INVOKABLE double value(int row, const QString &roleName) const;

    double maxConnections() const;
    double maxBytes() const;
    double totalConnections() const;
    double totalDisconnections() const;
    double totalBytesIn() const;
    double totalBytesOut() const;
    qint64 windowStart() const;

Q_SIGNALS:
    void valuesChanged();

private:
    std::unique_ptr<ChartSeriesPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ChartSeries)
    Q_DISABLE_COPY(ChartSeries)
};

} // namespace SocketIo::Dashboard

#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QSortFilterProxyModel>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SocketIo::Dashboard {

/*! One entry of the event log. */
struct EventLogEntry
{
    qint64 seq = 0;
    QDateTime timestamp;
    QString type;        // connection, disconnection, room_joined, room_left, event_received, event_sent
    QString direction;   // "in" (event_received), "out" (event_sent), "" otherwise
    QString nsp;
    QString socketId;
    QString eventName;   // the event (event_*), the room (room_*), the reason (disconnection)
    QString args;        // compact JSON of the arguments (event_*)
};

class EventLogModelPrivate;

/*!
  The event log: a ring buffer of at most capacity() entries (oldest first), fed by append() and
  shown in batches: entries wait in a pending queue and are inserted every batchInterval() ms in
  one rowsInserted() (and, when full, one rowsRemoved() of the oldest rows). While paused, the
  pending queue keeps (at most capacity()) entries and nothing moves; resuming inserts them.
*/
class EventLogModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(bool paused READ isPaused WRITE setPaused NOTIFY pausedChanged)
    Q_PROPERTY(int capacity READ capacity WRITE setCapacity NOTIFY capacityChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)
    Q_PROPERTY(qint64 droppedCount READ droppedCount NOTIFY pendingCountChanged)
public:
    enum Role {
        SeqRole = Qt::UserRole + 1,
        TimestampRole,
        TypeRole,
        DirectionRole,
        NamespaceRole,
        SocketIdRole,
        EventNameRole,
        ArgsRole,
        TimeTextRole,   // hh:mm:ss.zzz, local time
    };
    Q_ENUM(Role)

    explicit EventLogModel(QObject *parent = nullptr);
    ~EventLogModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void append(EventLogEntry entry);
    Q_INVOKABLE void flush();
    Q_INVOKABLE void clear();

    int count() const;
    bool isPaused() const;
    void setPaused(bool paused);
    int capacity() const;
    void setCapacity(int capacity);
    int pendingCount() const;
    /*! Entries dropped from the pending queue while paused (it holds at most capacity()). */
    qint64 droppedCount() const;
    int batchInterval() const;
    void setBatchInterval(int ms);

    EventLogEntry entry(int row) const;
    /*! Writes \a rows (all rows if empty) as a JSON array of objects to \a fileOrUrl (a path or a
        file: URL); false with a warning on failure. */
    bool exportRows(const QString &fileOrUrl, const QList<int> &rows = {}) const;
    /*! Every row, as a JSON file. */
    Q_INVOKABLE bool exportToFile(const QString &fileOrUrl) const;

Q_SIGNALS:
    void countChanged();
    void pausedChanged();
    void capacityChanged();
    void pendingCountChanged();

private:
    std::unique_ptr<EventLogModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(EventLogModel)
    Q_DISABLE_COPY(EventLogModel)
};

/*!
  Filters of the event log view: namespaceFilter, eventFilter (exact event name), socketFilter
  (socket id), direction ("in", "out", or "" for all) and searchText (case-insensitive, in the
  type, socket id, event name and arguments). Empty filters accept everything.
*/
class EventLogFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString namespaceFilter READ namespaceFilter WRITE setNamespaceFilter NOTIFY filterChanged)
    Q_PROPERTY(QString eventFilter READ eventFilter WRITE setEventFilter NOTIFY filterChanged)
    Q_PROPERTY(QString socketFilter READ socketFilter WRITE setSocketFilter NOTIFY filterChanged)
    Q_PROPERTY(QString direction READ direction WRITE setDirection NOTIFY filterChanged)
    Q_PROPERTY(QString searchText READ searchText WRITE setSearchText NOTIFY filterChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    explicit EventLogFilterModel(QObject *parent = nullptr);
    ~EventLogFilterModel() override;

    QString namespaceFilter() const { return m_nsp; }
    void setNamespaceFilter(const QString &v) { set(m_nsp, v); }
    QString eventFilter() const { return m_event; }
    void setEventFilter(const QString &v) { set(m_event, v); }
    QString socketFilter() const { return m_socket; }
    void setSocketFilter(const QString &v) { set(m_socket, v); }
    QString direction() const { return m_direction; }
    void setDirection(const QString &v) { set(m_direction, v); }
    QString searchText() const { return m_search; }
    void setSearchText(const QString &v) { set(m_search, v); }
    int count() const { return rowCount(); }

    /*! Writes the rows that pass the filters as a JSON file (see EventLogModel::exportRows()). */
    Q_INVOKABLE bool exportToFile(const QString &fileOrUrl) const;

Q_SIGNALS:
    void filterChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void set(QString &field, const QString &value);
    QString m_nsp, m_event, m_socket, m_direction, m_search;
};

} // namespace SocketIo::Dashboard

#include "eventlogmodel.h"

#include "dashboardlogging.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTimer>
#include <QUrl>

#include <deque>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

class EventLogModelPrivate
{
public:
    std::deque<EventLogEntry> rows;
    std::deque<EventLogEntry> pending;
    int capacity = 5000;
    bool paused = false;
    qint64 dropped = 0;
    qint64 seq = 0;
    QTimer timer;
};

EventLogModel::EventLogModel(QObject *parent)
    : QAbstractListModel(parent), d_ptr(std::make_unique<EventLogModelPrivate>())
{
    Q_D(EventLogModel);
    d->timer.setSingleShot(true);
    d->timer.setInterval(100);
    connect(&d->timer, &QTimer::timeout, this, &EventLogModel::flush);
}

EventLogModel::~EventLogModel() = default;

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    Q_D(const EventLogModel);
    return parent.isValid() ? 0 : int(d->rows.size());
}

int EventLogModel::count() const { return rowCount(); }

QHash<int, QByteArray> EventLogModel::roleNames() const
{
    return {{SeqRole, "seq"},         {TimestampRole, "timestamp"}, {TypeRole, "type"},
            {DirectionRole, "direction"}, {NamespaceRole, "nsp"},  {SocketIdRole, "socketId"},
            {EventNameRole, "eventName"}, {ArgsRole, "args"},      {TimeTextRole, "timeText"}};
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    Q_D(const EventLogModel);
    if (!index.isValid() || index.row() >= int(d->rows.size()))
        return {};
    const EventLogEntry &e = d->rows[size_t(index.row())];
    switch (role) {
    case SeqRole: return e.seq;
    case TimestampRole: return e.timestamp;
    case Qt::DisplayRole:
    case TypeRole: return e.type;
    case DirectionRole: return e.direction;
    case NamespaceRole: return e.nsp;
    case SocketIdRole: return e.socketId;
    case EventNameRole: return e.eventName;
    case ArgsRole: return e.args;
    case TimeTextRole: return e.timestamp.toLocalTime().toString(u"hh:mm:ss.zzz"_s);
    default: return {};
    }
}

EventLogEntry EventLogModel::entry(int row) const
{
    Q_D(const EventLogModel);
    return row >= 0 && row < int(d->rows.size()) ? d->rows[size_t(row)] : EventLogEntry();
}

void EventLogModel::append(EventLogEntry entry)
{
    Q_D(EventLogModel);
    entry.seq = ++d->seq;
    d->pending.push_back(std::move(entry));
    while (int(d->pending.size()) > d->capacity) {
        d->pending.pop_front();
        ++d->dropped;
    }
    if (!d->paused && !d->timer.isActive())
        d->timer.start();
    Q_EMIT pendingCountChanged();
}

void EventLogModel::flush()
{
    Q_D(EventLogModel);
    d->timer.stop();
    if (d->paused || d->pending.empty())
        return;
    const int before = int(d->rows.size());
    const int incoming = int(d->pending.size());   // <= capacity
    const int overflow = before + incoming - d->capacity;
    if (overflow > 0) {
        const int removed = std::min(overflow, before);
        beginRemoveRows(QModelIndex(), 0, removed - 1);
        d->rows.erase(d->rows.begin(), d->rows.begin() + removed);
        endRemoveRows();
    }
    const int first = int(d->rows.size());
    beginInsertRows(QModelIndex(), first, first + incoming - 1);
    for (auto &e : d->pending)
        d->rows.push_back(std::move(e));
    d->pending.clear();
    endInsertRows();
    if (before != int(d->rows.size()))
        Q_EMIT countChanged();
    Q_EMIT pendingCountChanged();
}

void EventLogModel::clear()
{
    Q_D(EventLogModel);
    beginResetModel();
    d->rows.clear();
    d->pending.clear();
    endResetModel();
    Q_EMIT countChanged();
    Q_EMIT pendingCountChanged();
}

bool EventLogModel::isPaused() const
{
    Q_D(const EventLogModel);
    return d->paused;
}

void EventLogModel::setPaused(bool paused)
{
    Q_D(EventLogModel);
    if (paused == d->paused)
        return;
    d->paused = paused;
    if (!paused && !d->pending.empty())
        d->timer.start();
    Q_EMIT pausedChanged();
}

int EventLogModel::capacity() const
{
    Q_D(const EventLogModel);
    return d->capacity;
}

void EventLogModel::setCapacity(int capacity)
{
    Q_D(EventLogModel);
    capacity = std::max(1, capacity);
    if (capacity == d->capacity)
        return;
    d->capacity = capacity;
    if (int(d->rows.size()) > capacity) {
        const int removed = int(d->rows.size()) - capacity;
        beginRemoveRows(QModelIndex(), 0, removed - 1);
        d->rows.erase(d->rows.begin(), d->rows.begin() + removed);
        endRemoveRows();
        Q_EMIT countChanged();
    }
    while (int(d->pending.size()) > capacity) {
        d->pending.pop_front();
        ++d->dropped;
    }
    Q_EMIT capacityChanged();
}

int EventLogModel::pendingCount() const
{
    Q_D(const EventLogModel);
    return int(d->pending.size());
}

qint64 EventLogModel::droppedCount() const
{
    Q_D(const EventLogModel);
    return d->dropped;
}

int EventLogModel::batchInterval() const
{
    Q_D(const EventLogModel);
    return d->timer.interval();
}

void EventLogModel::setBatchInterval(int ms)
{
    Q_D(EventLogModel);
    d->timer.setInterval(ms);
}

bool EventLogModel::exportRows(const QString &fileOrUrl, const QList<int> &rows) const
{
    Q_D(const EventLogModel);
    const QUrl url(fileOrUrl);
    const QString path = url.isLocalFile() ? url.toLocalFile() : fileOrUrl;
    QJsonArray out;
    auto add = [&out](const EventLogEntry &e) {
        QJsonObject o{{u"seq"_s, e.seq},
                      {u"timestamp"_s, e.timestamp.toUTC().toString(Qt::ISODateWithMs)},
                      {u"type"_s, e.type},
                      {u"nsp"_s, e.nsp},
                      {u"socketId"_s, e.socketId}};
        if (!e.direction.isEmpty())
            o.insert(u"direction"_s, e.direction);
        if (!e.eventName.isEmpty())
            o.insert(u"event"_s, e.eventName);
        if (!e.args.isEmpty())
            o.insert(u"args"_s, QJsonDocument::fromJson(e.args.toUtf8()).array());
        out.append(o);
    };
    if (rows.isEmpty()) {
        for (const EventLogEntry &e : d->rows)
            add(e);
    } else {
        for (int row : rows) {
            if (row >= 0 && row < int(d->rows.size()))
                add(d->rows[size_t(row)]);
        }
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        qCWarning(lcDashboard) << "cannot export the event log to" << path << ":" << file.errorString();
        return false;
    }
    file.write(QJsonDocument(out).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        qCWarning(lcDashboard) << "cannot export the event log to" << path << ":" << file.errorString();
        return false;
    }
    return true;
}

bool EventLogModel::exportToFile(const QString &fileOrUrl) const
{
    return exportRows(fileOrUrl);
}

// ---- EventLogFilterModel ----------------------------------------------------------------------

EventLogFilterModel::EventLogFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    connect(this, &QAbstractItemModel::rowsInserted, this, &EventLogFilterModel::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &EventLogFilterModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &EventLogFilterModel::countChanged);
}

EventLogFilterModel::~EventLogFilterModel() = default;

void EventLogFilterModel::set(QString &field, const QString &value)
{
    if (field == value)
        return;
    field = value;
    invalidateFilter();
    Q_EMIT filterChanged();
    Q_EMIT countChanged();
}

bool EventLogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_nsp.isEmpty() && idx.data(EventLogModel::NamespaceRole).toString() != m_nsp)
        return false;
    if (!m_event.isEmpty() && idx.data(EventLogModel::EventNameRole).toString() != m_event)
        return false;
    if (!m_socket.isEmpty() && idx.data(EventLogModel::SocketIdRole).toString() != m_socket)
        return false;
    if (!m_direction.isEmpty() && idx.data(EventLogModel::DirectionRole).toString() != m_direction)
        return false;
    if (m_search.isEmpty())
        return true;
    for (int role : {EventLogModel::TypeRole, EventLogModel::SocketIdRole, EventLogModel::EventNameRole,
                     EventLogModel::ArgsRole}) {
        if (idx.data(role).toString().contains(m_search, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

bool EventLogFilterModel::exportToFile(const QString &fileOrUrl) const
{
    auto *log = qobject_cast<EventLogModel *>(sourceModel());
    if (!log)
        return false;
    QList<int> rows;
    rows.reserve(rowCount());
    for (int r = 0; r < rowCount(); ++r)
        rows.append(mapToSource(index(r, 0)).row());
    if (rows.isEmpty())   // exportRows() treats an empty list as "everything"
        rows.append(-1);
    return log->exportRows(fileOrUrl, rows);
}

} // namespace SocketIo::Dashboard

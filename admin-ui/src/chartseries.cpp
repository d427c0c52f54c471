#include "chartseries.h"

#include <QDateTime>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <array>
#include <deque>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

namespace {
struct Slot
{
    qint64 start = 0;
    std::array<double, 6> values{};   // connections, disconnections, bytesIn, bytesOut, packetsIn, packetsOut
};

int indexOfType(const QString &type)
{
    static const QStringList types = {u"rawConnection"_s, u"rawDisconnection"_s, u"bytesIn"_s,
                                      u"bytesOut"_s,      u"packetsIn"_s,        u"packetsOut"_s};
    return int(types.indexOf(type));
}

qint64 slotOf(qint64 ms)
{
    return ms - (((ms % ChartSeries::SlotMs) + ChartSeries::SlotMs) % ChartSeries::SlotMs);
}
} // namespace

class ChartSeriesPrivate
{
public:
    std::deque<Slot> slots;
    QTimer timer;
};

ChartSeries::ChartSeries(QObject *parent)
    : QAbstractListModel(parent), d_ptr(std::make_unique<ChartSeriesPrivate>())
{
    Q_D(ChartSeries);
    const qint64 last = slotOf(QDateTime::currentMSecsSinceEpoch());
    for (int i = SlotCount - 1; i >= 0; --i)
        d->slots.push_back(Slot{last - qint64(i) * SlotMs, {}});
    d->timer.setInterval(1000);
    connect(&d->timer, &QTimer::timeout, this, [this] { advanceTo(QDateTime::currentMSecsSinceEpoch()); });
    d->timer.start();
}

ChartSeries::~ChartSeries() = default;

int ChartSeries::rowCount(const QModelIndex &parent) const
{
    Q_D(const ChartSeries);
    return parent.isValid() ? 0 : int(d->slots.size());
}

QHash<int, QByteArray> ChartSeries::roleNames() const
{
    return {{TimestampRole, "timestamp"},     {ConnectionsRole, "connections"},
            {DisconnectionsRole, "disconnections"}, {BytesInRole, "bytesIn"},
            {BytesOutRole, "bytesOut"},       {PacketsInRole, "packetsIn"},
            {PacketsOutRole, "packetsOut"}};
}

QVariant ChartSeries::data(const QModelIndex &index, int role) const
{
    Q_D(const ChartSeries);
    if (!index.isValid() || index.row() >= int(d->slots.size()))
        return {};
    const Slot &s = d->slots[size_t(index.row())];
    if (role == TimestampRole)
        return s.start;
    if (role >= ConnectionsRole && role <= PacketsOutRole)
        return s.values[size_t(role - ConnectionsRole)];
    return {};
}

double ChartSeries::value(int row, const QString &roleName) const
{
    const int role = roleNames().key(roleName.toUtf8(), -1);
    return data(index(row, 0), role).toDouble();
}

void ChartSeries::advanceTo(qint64 nowMs)
{
    Q_D(ChartSeries);
    const qint64 last = slotOf(nowMs);
    const qint64 current = d->slots.back().start;
    if (last <= current)
        return;
    const qint64 shift = std::min<qint64>((last - current) / SlotMs, SlotCount);
    beginRemoveRows(QModelIndex(), 0, int(shift) - 1);
    for (qint64 i = 0; i < shift; ++i)
        d->slots.pop_front();
    endRemoveRows();
    const qint64 from = std::max(current + SlotMs, last - qint64(SlotCount - 1) * SlotMs);
    beginInsertRows(QModelIndex(), int(d->slots.size()), int(d->slots.size() + shift) - 1);
    for (qint64 i = 0; i < shift; ++i)
        d->slots.push_back(Slot{from + i * SlotMs, {}});
    endInsertRows();
    Q_EMIT valuesChanged();
}

void ChartSeries::addAggregatedEvents(const QJsonArray &events)
{
    Q_D(ChartSeries);
    if (events.isEmpty())
        return;
    qint64 newest = 0;
    for (const QJsonValue &v : events)
        newest = std::max(newest, qint64(v.toObject().value(u"timestamp"_s).toDouble()));
    advanceTo(std::max(newest, QDateTime::currentMSecsSinceEpoch()));
    const qint64 first = d->slots.front().start;
    int minRow = SlotCount, maxRow = -1;
    for (const QJsonValue &v : events) {
        const QJsonObject e = v.toObject();
        const int type = indexOfType(e.value(u"type"_s).toString());
        const qint64 ts = qint64(e.value(u"timestamp"_s).toDouble());
        if (type < 0 || ts < first)
            continue;
        const int row = int((slotOf(ts) - first) / SlotMs);
        if (row < 0 || row >= int(d->slots.size()))
            continue;
        d->slots[size_t(row)].values[size_t(type)] += e.value(u"count"_s).toDouble();
        minRow = std::min(minRow, row);
        maxRow = std::max(maxRow, row);
    }
    if (maxRow >= 0) {
        Q_EMIT dataChanged(index(minRow, 0), index(maxRow, 0));
        Q_EMIT valuesChanged();
    }
}

void ChartSeries::clear()
{
    Q_D(ChartSeries);
    for (Slot &s : d->slots)
        s.values.fill(0);
    Q_EMIT dataChanged(index(0, 0), index(int(d->slots.size()) - 1, 0));
    Q_EMIT valuesChanged();
}

namespace {
template <typename F>
double fold(const std::deque<Slot> &slots, F f)
{
    double r = 0;
    for (const Slot &s : slots)
        r = f(r, s);
    return r;
}
} // namespace

double ChartSeries::maxConnections() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return std::max({r, s.values[0], s.values[1]}); });
}

double ChartSeries::maxBytes() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return std::max({r, s.values[2], s.values[3]}); });
}

double ChartSeries::totalConnections() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return r + s.values[0]; });
}

double ChartSeries::totalDisconnections() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return r + s.values[1]; });
}

double ChartSeries::totalBytesIn() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return r + s.values[2]; });
}

double ChartSeries::totalBytesOut() const
{
    Q_D(const ChartSeries);
    return fold(d->slots, [](double r, const Slot &s) { return r + s.values[3]; });
}

qint64 ChartSeries::windowStart() const
{
    Q_D(const ChartSeries);
    return d->slots.front().start;
}

} // namespace SocketIo::Dashboard

#include "keyedlistmodel.h"

#include <QHash>
#include <QSet>
#include <QTimer>

#include <algorithm>

namespace SocketIo::Dashboard {

namespace {
/*! Above this many separate blocks of removed rows in one flush, the flush resets the model. */
constexpr int kMaxRemovalBlocks = 64;
} // namespace

class KeyedListModelPrivate
{
public:
    QStringList rows;
    QHash<QString, int> rowOf;
    QStringList dirtyOrder;   // marked keys, first-marked first
    QSet<QString> dirty;
    bool reset = false;
    QTimer timer;

    void reindex()
    {
        rowOf.clear();
        rowOf.reserve(rows.size());
        for (int i = 0; i < rows.size(); ++i)
            rowOf.insert(rows.at(i), i);
    }
};

KeyedListModel::KeyedListModel(QObject *parent)
    : QAbstractListModel(parent), d_ptr(std::make_unique<KeyedListModelPrivate>())
{
    Q_D(KeyedListModel);
    d->timer.setSingleShot(true);
    d->timer.setInterval(100);
    connect(&d->timer, &QTimer::timeout, this, &KeyedListModel::flush);
}

KeyedListModel::~KeyedListModel() = default;

int KeyedListModel::rowCount(const QModelIndex &parent) const
{
    Q_D(const KeyedListModel);
    return parent.isValid() ? 0 : int(d->rows.size());
}

int KeyedListModel::count() const
{
    return rowCount();
}

QVariant KeyedListModel::data(const QModelIndex &index, int role) const
{
    Q_D(const KeyedListModel);
    if (!index.isValid() || index.row() < 0 || index.row() >= d->rows.size())
        return {};
    return dataForKey(d->rows.at(index.row()), role);
}

QString KeyedListModel::keyAt(int row) const
{
    Q_D(const KeyedListModel);
    return row >= 0 && row < d->rows.size() ? d->rows.at(row) : QString();
}

int KeyedListModel::rowOfKey(const QString &key) const
{
    Q_D(const KeyedListModel);
    return d->rowOf.value(key, -1);
}

QVariantMap rowToMap(const QAbstractItemModel *model, int row)
{
    QVariantMap map;
    const QModelIndex idx = model->index(row, 0);
    if (!idx.isValid())
        return map;
    const auto names = model->roleNames();
    for (auto it = names.cbegin(); it != names.cend(); ++it)
        map.insert(QString::fromUtf8(it.value()), model->data(idx, it.key()));
    return map;
}

QVariantMap KeyedListModel::get(int row) const
{
    return rowToMap(this, row);
}

bool KeyedListModel::hasPendingChanges() const
{
    Q_D(const KeyedListModel);
    return d->reset || !d->dirtyOrder.isEmpty();
}

int KeyedListModel::batchInterval() const
{
    Q_D(const KeyedListModel);
    return d->timer.interval();
}

void KeyedListModel::setBatchInterval(int ms)
{
    Q_D(KeyedListModel);
    d->timer.setInterval(ms);
}

void KeyedListModel::markDirty(const QString &key)
{
    Q_D(KeyedListModel);
    if (!d->reset && !d->dirty.contains(key)) {
        d->dirty.insert(key);
        d->dirtyOrder.append(key);
    }
    if (!d->timer.isActive())
        d->timer.start();
}

void KeyedListModel::markReset()
{
    Q_D(KeyedListModel);
    d->reset = true;
    d->dirty.clear();
    d->dirtyOrder.clear();
    if (!d->timer.isActive())
        d->timer.start();
}

void KeyedListModel::flush()
{
    Q_D(KeyedListModel);
    d->timer.stop();
    if (!hasPendingChanges())
        return;
    const int before = int(d->rows.size());
    if (d->reset) {
        d->reset = false;
        beginResetModel();
        d->rows = allKeys();
        d->reindex();
        endResetModel();
    } else {
        const QStringList keys = std::exchange(d->dirtyOrder, {});
        d->dirty.clear();

        // 1. rows whose key is gone, removed bottom-up in contiguous blocks
        QList<int> gone;
        for (const QString &key : keys) {
            const int row = d->rowOf.value(key, -1);
            if (row >= 0 && !hasKey(key))
                gone.append(row);
        }
        if (!gone.isEmpty())
            std::sort(gone.begin(), gone.end(), std::greater<int>());
        int blocks = 0;
        for (int i = 0; i < gone.size(); ++i)
            blocks += i == 0 || gone.at(i) != gone.at(i - 1) - 1;
        if (blocks > kMaxRemovalBlocks) {
            // a mass departure scattered over the rows (e.g. thousands of sockets of interleaved
            // connections leaving at once): one reset is cheaper for the views than hundreds of
            // removals; the new keys of this batch are taken in on the way
            beginResetModel();
            QSet<QString> goneKeys;
            for (int row : std::as_const(gone))
                goneKeys.insert(d->rows.at(row));
            d->rows.removeIf([&goneKeys](const QString &key) { return goneKeys.contains(key); });
            for (const QString &key : keys) {
                if (hasKey(key) && !d->rowOf.contains(key))
                    d->rows.append(key);
            }
            d->reindex();
            endResetModel();
            if (before != d->rows.size())
                Q_EMIT countChanged();
            Q_EMIT flushed();
            return;
        }
        if (!gone.isEmpty()) {
            int i = 0;
            while (i < gone.size()) {
                int last = gone.at(i);
                int first = last;
                int j = i + 1;
                while (j < gone.size() && gone.at(j) == first - 1)
                    first = gone.at(j++);
                beginRemoveRows(QModelIndex(), first, last);
                d->rows.remove(first, last - first + 1);
                endRemoveRows();
                i = j;
            }
            d->reindex();
        }

        // 2. changed rows, one dataChanged per contiguous block; 3. new keys appended at once
        QList<int> changed;
        QStringList added;
        for (const QString &key : keys) {
            if (!hasKey(key))
                continue;
            const int row = d->rowOf.value(key, -1);
            if (row >= 0)
                changed.append(row);
            else
                added.append(key);
        }
        if (!changed.isEmpty()) {
            std::sort(changed.begin(), changed.end());
            int i = 0;
            while (i < changed.size()) {
                const int first = changed.at(i);
                int last = first;
                int j = i + 1;
                while (j < changed.size() && changed.at(j) == last + 1)
                    last = changed.at(j++);
                Q_EMIT dataChanged(index(first, 0), index(last, 0));
                i = j;
            }
        }
        if (!added.isEmpty()) {
            const int first = int(d->rows.size());
            beginInsertRows(QModelIndex(), first, first + int(added.size()) - 1);
            for (int k = 0; k < added.size(); ++k) {
                d->rows.append(added.at(k));
                d->rowOf.insert(added.at(k), first + k);
            }
            endInsertRows();
        }
    }
    if (before != d->rows.size())
        Q_EMIT countChanged();
    Q_EMIT flushed();
}

} // namespace SocketIo::Dashboard

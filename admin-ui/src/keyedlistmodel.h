#pragma once

#include <QAbstractListModel>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SocketIo::Dashboard {

class KeyedListModelPrivate;

/*!
  Base of the dashboard's list models: rows are identified by a string key, the subclass keeps
  the data (hasKey(), dataForKey()), and changes are applied to the view in batches.

  A subclass changes its data at once and calls markDirty(key) (or markReset() for a whole new
  snapshot); the rows follow on flush(), which runs by itself batchInterval() ms after the first
  pending change (or when called). A flush turns all pending changes into at most one
  rowsRemoved() per contiguous block of gone rows, one rowsInserted() for every new row (appended
  in the order they were marked) and one dataChanged() per contiguous block of changed rows, so
  a burst of thousands of protocol events costs a handful of model signals. The model resets
  only for markReset() (a new snapshot) and when one flush would remove rows in more than 64
  separate blocks (a mass departure scattered over the list), where one reset is cheaper.
*/
class KeyedListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ANONYMOUS
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    ~KeyedListModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    int count() const;

    /*! The key of \a row (empty when out of range). */
    QString keyAt(int row) const;
    /*! The row of \a key, -1 if it has no row (yet). */
    int rowOfKey(const QString &key) const;
    /*! Every role of \a row as a map keyed by role name (for QML detail views). */
    Q_INVOKABLE QVariantMap get(int row) const;

    /*! Applies the pending changes to the rows now. */
    Q_INVOKABLE void flush();
    /*! Whether changes wait for flush(). */
    bool hasPendingChanges() const;
    /*! Delay between the first pending change and the automatic flush (default 100 ms). */
    int batchInterval() const;
    void setBatchInterval(int ms);

Q_SIGNALS:
    void countChanged();
    /*! A flush applied pending changes. */
    void flushed();

protected:
    explicit KeyedListModel(QObject *parent = nullptr);
    /*! \a key was added, changed or removed in the subclass's data. */
    void markDirty(const QString &key);
    /*! The whole data was replaced: the next flush resets the model (rows in allKeys() order). */
    void markReset();
    virtual bool hasKey(const QString &key) const = 0;
    virtual QStringList allKeys() const = 0;
    virtual QVariant dataForKey(const QString &key, int role) const = 0;

private:
    std::unique_ptr<KeyedListModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(KeyedListModel)
    Q_DISABLE_COPY(KeyedListModel)
};

/*! Row \a row of \a model as a map from role name to value (empty when out of range): what the
    models' QML get(row) returns. */
QVariantMap rowToMap(const QAbstractItemModel *model, int row);

} // namespace SocketIo::Dashboard

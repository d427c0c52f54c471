#pragma once

#include "keyedlistmodel.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSortFilterProxyModel>

namespace SocketIo::Dashboard {

class SocketsModelPrivate;

/*!
  The sockets the server reports (all_sockets, socket_connected, socket_updated,
  socket_disconnected, room_joined/room_left of protocol.md 5.3), one row per socket, keyed by
  namespace and id. Changes are batched (see KeyedListModel); all_sockets resets the model once.
*/
class SocketsModel : public KeyedListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
public:
    enum Role {
        SocketIdRole = Qt::UserRole + 1,
        ClientIdRole,
        TransportRole,
        NamespaceRole,
        AddressRole,
        RoomsRole,        // QStringList
        RoomsTextRole,    // the rooms joined by ", " (sorting, filtering)
        HandshakeRole,    // QVariantMap, as sent
        DataRole,         // socket.data, as sent
        ConnectedAtRole,  // QDateTime (socket_connected's timestamp, else the handshake's issued)
        UserAgentRole,
    };
    Q_ENUM(Role)

    explicit SocketsModel(QObject *parent = nullptr);
    ~SocketsModel() override;

    QHash<int, QByteArray> roleNames() const override;

    /*! Replaces every socket with \a sockets (all_sockets). */
    void replaceAll(const QJsonArray &sockets);
    /*! Adds or replaces one SerializedSocket (socket_connected). */
    void addSocket(const QJsonObject &socket, const QDateTime &connectedAt = QDateTime());
    /*! Merges {id, nsp, data|transport} into a known socket (socket_updated); false if unknown. */
    bool updateSocket(const QJsonObject &update);
    /*! Removes a socket; returns its clientId (empty if unknown). */
    QString removeSocket(const QString &nsp, const QString &id);
    /*! room_joined / room_left for a known socket; false if the socket is unknown. */
    bool joinRoom(const QString &nsp, const QString &room, const QString &id);
    bool leaveRoom(const QString &nsp, const QString &room, const QString &id);
    /*! Forgets everything (at once). */
    void clear();

    bool contains(const QString &nsp, const QString &id) const;
    /*! Every field of one socket (id, clientId, transport, nsp, address, rooms, handshake, data,
        connectedAt); empty if unknown. */
    Q_INVOKABLE QVariantMap socket(const QString &nsp, const QString &id) const;
    /*! The rooms of a socket. */
    QStringList rooms(const QString &nsp, const QString &id) const;

    static QString keyOf(const QString &nsp, const QString &id);

protected:
    bool hasKey(const QString &key) const override;
    QStringList allKeys() const override;
    QVariant dataForKey(const QString &key, int role) const override;

private:
    std::unique_ptr<SocketsModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(SocketsModel)
    Q_DISABLE_COPY(SocketsModel)
};

/*!
  Sorting and filtering of a SocketsModel for the sockets table: sortColumn names a role
  ("socketId", "clientId", "transport", "nsp", "address", "rooms", "connectedAt"), filterText
  matches (case-insensitively) any of id, clientId, transport, nsp, address and rooms, and
  namespaceFilter keeps one namespace (empty: all).
*/
class SocketsFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString filterText READ filterText WRITE setFilterText NOTIFY filterChanged)
    Q_PROPERTY(QString namespaceFilter READ namespaceFilter WRITE setNamespaceFilter NOTIFY filterChanged)
    Q_PROPERTY(QString sortField READ sortField WRITE setSortField NOTIFY sortChanged)
    Q_PROPERTY(bool descending READ descending WRITE setDescending NOTIFY sortChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    explicit SocketsFilterModel(QObject *parent = nullptr);
    ~SocketsFilterModel() override;

    QString filterText() const;
    void setFilterText(const QString &text);
    QString namespaceFilter() const;
    void setNamespaceFilter(const QString &nsp);
    QString sortField() const;
    void setSortField(const QString &field);
    bool descending() const;
    void setDescending(bool descending);
    int count() const;

    Q_INVOKABLE QVariantMap get(int row) const;

Q_SIGNALS:
    void filterChanged();
    void sortChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void applySort();
    QString m_filterText;
    QString m_namespace;
    QString m_sortField;
    bool m_descending = false;
};

} // namespace SocketIo::Dashboard

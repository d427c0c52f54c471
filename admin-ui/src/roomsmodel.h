#pragma once

#include "keyedlistmodel.h"

namespace SocketIo::Dashboard {

class RoomsModelPrivate;

/*!
  The rooms of every namespace with their member sockets, built from the sockets' rooms and
  room_joined/room_left. A room disappears when its last socket leaves (as in the official UI);
  a room named after its only member's id is private (the socket's own room).
*/
class RoomsModel : public KeyedListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        NamespaceRole,
        IsPrivateRole,
        SocketIdsRole,   // QStringList
        SocketCountRole,
    };
    Q_ENUM(Role)

    explicit RoomsModel(QObject *parent = nullptr);
    ~RoomsModel() override;
    QHash<int, QByteArray> roleNames() const override;

    void join(const QString &nsp, const QString &room, const QString &socketId);
    void leave(const QString &nsp, const QString &room, const QString &socketId);
    /*! The socket left every room (it disconnected). */
    void removeSocket(const QString &nsp, const QString &socketId);
    /*! Forgets everything; the next flush resets the model. */
    void resetAll();

    /*! Member socket ids of a room (empty if the room is unknown). */
    Q_INVOKABLE QStringList members(const QString &nsp, const QString &room) const;
    bool contains(const QString &nsp, const QString &room) const;

protected:
    bool hasKey(const QString &key) const override;
    QStringList allKeys() const override;
    QVariant dataForKey(const QString &key, int role) const override;

private:
    std::unique_ptr<RoomsModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(RoomsModel)
    Q_DISABLE_COPY(RoomsModel)
};

class ClientsModelPrivate;

/*!
  Clients (Engine.IO connections, the `clientId` of each socket) with their sockets, grouped as
  in the official UI's "Clients" view; a client disappears with its last socket.
*/
class ClientsModel : public KeyedListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by an AdminConnection")
public:
    enum Role {
        ClientIdRole = Qt::UserRole + 1,
        SocketIdsRole,     // QStringList
        NamespacesRole,    // QStringList, one per socket
        SocketCountRole,
        TransportRole,
        AddressRole,
    };
    Q_ENUM(Role)

    explicit ClientsModel(QObject *parent = nullptr);
    ~ClientsModel() override;
    QHash<int, QByteArray> roleNames() const override;

    void addSocket(const QString &clientId, const QString &nsp, const QString &socketId,
                   const QString &transport, const QString &address);
    void removeSocket(const QString &clientId, const QString &nsp, const QString &socketId);
    void setTransport(const QString &clientId, const QString &transport);
    void resetAll();

    bool contains(const QString &clientId) const;
    Q_INVOKABLE QStringList sockets(const QString &clientId) const;

protected:
    bool hasKey(const QString &key) const override;
    QStringList allKeys() const override;
    QVariant dataForKey(const QString &key, int role) const override;

private:
    std::unique_ptr<ClientsModelPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ClientsModel)
    Q_DISABLE_COPY(ClientsModel)
};

} // namespace SocketIo::Dashboard

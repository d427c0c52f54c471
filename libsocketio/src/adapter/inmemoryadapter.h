#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/socketio_export.h>

#include <QHash>

namespace SocketIo {

class InMemoryAdapterPrivate;

/*!
  The single-node adapter (socket.io-adapter's in-memory Adapter): a room → socket ids map and its
  inverse. Broadcasts encode the packet once and write the same bytes to every selected local
  socket. Cluster adapters derive from it and call it for local delivery.
*/
class SOCKETIO_EXPORT InMemoryAdapter : public Adapter
{
    Q_OBJECT
public:
    explicit InMemoryAdapter(SocketIo::Namespace *nsp);
    ~InMemoryAdapter() override;

    void addAll(const QString &id, const QSet<QString> &rooms) override;
    void del(const QString &id, const QString &room) override;
    void delAll(const QString &id) override;
    void broadcast(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts) override;
    void broadcastWithAck(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts,
                          const ClientCountCallback &clientCountCallback,
                          const AckCallback &ackCallback) override;
    QSet<QString> sockets(const QSet<QString> &rooms) const override;
    QSet<QString> socketRooms(const QString &id) const override;
    void fetchSockets(const SocketIo::BroadcastOptions &opts,
                      const std::function<void(const QList<SocketIo::RemoteSocket> &)> &callback) override;
    void addSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) override;
    void delSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) override;
    void disconnectSockets(const SocketIo::BroadcastOptions &opts, bool close) override;

    /*! room → member socket ids (socket.io's adapter.rooms). Built on each call (the adapter keeps
        small rooms in a more compact form): to test one room or socket, use hasRoom() or
        hasSocket(). */
    QHash<QString, QSet<QString>> rooms() const;
    /*! socket id → rooms (socket.io's adapter.sids). Built on each call, like rooms(). */
    QHash<QString, QSet<QString>> sids() const;
    /*! Whether \a room has members (rooms().contains(room), without building the table). */
    bool hasRoom(const QString &room) const;
    /*! Whether socket \a id is known to the adapter (sids().contains(id), without building the
        table). */
    bool hasSocket(const QString &id) const;
    /*! The names of the rooms that have members (rooms().keys(), without building the table). */
    QStringList roomNames() const;

protected:
    /*! The local socket ids selected by \a opts, in join order of the sockets. */
    QStringList selectLocal(const SocketIo::BroadcastOptions &opts) const;

private:
    std::unique_ptr<InMemoryAdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(InMemoryAdapter)
    Q_DISABLE_COPY(InMemoryAdapter)
};

} // namespace SocketIo

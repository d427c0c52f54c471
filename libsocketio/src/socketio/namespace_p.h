#pragma once

#include <SocketIo/namespace.h>
#include <SocketIo/server.h>

#include <QCborMap>
#include <QHash>
#include <QList>
#include <QPointer>
#include <QRegularExpression>
#include <QSet>

#include <functional>
#include <optional>

namespace SocketIo {

class ServerClient;

class NamespacePrivate
{
public:
    Namespace *q_ptr = nullptr;
    Server *server = nullptr;
    QString name;
    Adapter *adapter = nullptr;
    QList<Middleware> middlewares;
    QList<Socket *> sockets;                 // connected, in order
    QHash<QString, Socket *> socketsById;
    qint64 nextAckId = 0;
    /*! A new socket's own room {id} for Adapter::addAll(): kept allocated between connections (a
        QSet allocates its buckets on the first insert and keeps them on remove), so that joining
        the own room does not allocate and free a set each time. Empty while not in use. */
    QSet<QString> ownRoomScratch;

    bool isParent = false;
    NamespaceMatcher matcher;               // parents only
    /*! Parents made by Server::of(QRegularExpression): the pattern, which Server::of(QString)
        also consults (socket.io's parentNamespacesFromRegExp); unset for a matcher function. */
    std::optional<QRegularExpression> pattern;
    QPointer<Namespace> parent;             // children only
    /*! A child the application asked for by name (Server::of()): it may keep the pointer, so the
        child is not removed when empty (cleanupEmptyChildNamespaces). */
    bool pinned = false;
    QList<QPointer<Namespace>> children;    // parents only

    static NamespacePrivate *get(Namespace *nsp) { return nsp->d_func(); }

    void createAdapter();
    qint64 allocateAckId() { return nextAckId++; }

    /*! Broadcast acks not finished yet: ack id -> the local sockets waiting for it
        (Adapter::expectAck), so that closeBroadcastAck() can forget the id on sockets that never
        answered. */
    QHash<qint64, QList<QPointer<Socket>>> broadcastAcks;
    /*! A broadcast with ack id \a ackId starts. */
    void openBroadcastAck(qint64 ackId) { broadcastAcks.insert(ackId, {}); }
    /*! Records that local \a socket waits for broadcast ack \a ackId; false if no such broadcast
        is open (a cluster adapter relaying another node's broadcast). */
    bool addBroadcastAckTarget(qint64 ackId, Socket *socket);
    /*! The broadcast finished: removes \a ackId from the sockets still waiting for it. */
    void closeBroadcastAck(qint64 ackId);
    /*! Every middleware that applies: the parent's first (children), then our own. */
    QList<Middleware> allMiddlewares() const;
    /*! Handles a CONNECT: with connection state recovery on and "pid" and "offset" strings in
        \a auth, asks the adapter for the session first (possibly asynchronously); then addSocket().
        The outcome goes to ServerClient::onNamespaceConnected() unless the connection closed. */
    void add(ServerClient *client, const QCborMap &auth);
    /*! Creates a socket for \a client (the recovered one when \a session is not empty), runs the
        middlewares unless recovery skips them, then finishConnect(). Without middlewares to run
        the verdict is known at once: no continuation is built. */
    void addSocket(ServerClient *client, const QCborMap &auth, const QCborMap &session);
    /*! The middlewares' verdict on \a socket: connects it (CONNECT reply, connection signals) or
        refuses it with CONNECT_ERROR; drops it when \a client (null: destroyed) is no longer open. */
    void finishConnect(Socket *socket, ServerClient *client, bool ok, const MiddlewareError &error);
    void runMiddlewares(Socket *socket, const QList<Middleware> &fns, int index,
                        const std::function<void(bool, const MiddlewareError &)> &done);
    /*! A socket left. */
    void remove(Socket *socket);
    /*! cleanupEmptyChildNamespaces: a child namespace without sockets, and without connections
        still in its middlewares, is removed on the next event-loop pass (socket.io removes it when
        its last socket leaves, is refused by a middleware, or is dropped after its connection
        closed during the middlewares). */
    void removeIfEmptyChild();
    /*! Connections of this namespace still in its middlewares (see removeIfEmptyChild()). */
    int pendingConnects = 0;

    Q_DECLARE_PUBLIC(Namespace)
};

} // namespace SocketIo

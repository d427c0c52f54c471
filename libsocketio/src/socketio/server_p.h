#pragma once

#include <SocketIo/engineserver.h>
#include <SocketIo/message.h>
#include <SocketIo/server.h>

#include <QHash>
#include <QList>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <queue>
#include <vector>

namespace SocketIo {

class ServerClient;

class ServerPrivate
{
public:
    Server *q_ptr = nullptr;
    ServerOptions options;
    QPointer<EngineServer> engine;
    bool ownsEngine = false;
    QHash<QString, Namespace *> nsps;
    QList<Namespace *> nspOrder;             // creation order, for iteration
    QList<Namespace *> parents;              // dynamic parents, in registration order
    int parentCount = 0;
    int workerIndex = -1;                    // ServerWorkers: this worker's index; -1 otherwise
    /*! Live clients → their sequence number (connection order; the sequence also tells a client
        from a later one at the same address). Removal is O(1), unlike a list's removeAll(). */
    QHash<ServerClient *, quint64> clients;
    quint64 clientSequence = 0;
    bool destroying = false;

    /*! connectTimeout for every client that has not joined a namespace yet: one timer for all
        instead of a QTimer per client (Qt keeps a thread's timers in one list that is searched
        linearly on every start and stop). Entries of clients that joined or left stay until their
        deadline and are skipped then. */
    struct ConnectDeadline
    {
        qint64 deadline;        // on clock, ms
        ServerClient *client;
        quint64 sequence;
        bool operator>(const ConnectDeadline &other) const { return deadline > other.deadline; }
    };
    std::priority_queue<ConnectDeadline, std::vector<ConnectDeadline>, std::greater<ConnectDeadline>> connectDeadlines;
    QTimer *connectTimer = nullptr;   // child of the server, so it follows it to another thread
    qint64 connectTimerDeadline = 0;
    QElapsedTimer clock;
    /*! Starts the connect timeout of \a client. */
    void watchConnect(ServerClient *client);
    void checkConnectDeadlines();
    void armConnectTimer(qint64 deadline);

    static ServerPrivate *get(Server *server) { return server->d_func(); }

    /*! Event handlers (Socket::on) run from the next event-loop pass, in arrival order, for
        sockets still connected then: socket.io dispatches on a later tick than it reads the
        packets of the same payload or read, so an EVENT followed by its socket's DISCONNECT
        reaches the catch-all listeners (eventReceived, synchronous) but no handler. */
    struct DeferredEvent
    {
        QPointer<Socket> socket;
        Message message;
    };
    QList<DeferredEvent> deferredEvents;
    void deferDispatch(Socket *socket, const Message &message);
    void runDeferredEvents();

    void onEngineConnection(EngineSession *session);
    Namespace *createNamespace(const QString &name);
    /*! Removes namespace \a nsp from the table (cleanupEmptyChildNamespaces). */
    void removeNamespace(Namespace *nsp);
    /*! Creates the child namespace \a name of \a parent (announced by Server::newNamespace). */
    Namespace *createChild(Namespace *parent, const QString &name);
    /*! Asks the dynamic parents, in order, whether \a name is acceptable. \a done gets the
        (possibly new) child namespace or null. May be asynchronous. */
    void checkNamespace(const QString &name, const QCborMap &auth, int index,
                        const std::function<void(Namespace *)> &done);

    static QString normalise(const QString &name);

    Q_DECLARE_PUBLIC(Server)
};

} // namespace SocketIo

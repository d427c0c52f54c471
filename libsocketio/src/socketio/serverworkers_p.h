// Worker threads and the state they share (ServerWorkers).
#pragma once

#include "serverworkers.h"

#include <QHash>
#include <QMutex>
#include <QPointer>
#include <QSemaphore>
#include <QThread>

#include <atomic>
#include <memory>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTcpSocket;
QT_END_NAMESPACE

namespace SocketIo {

class EngineServer;
class EngineTcpServer;
class Server;

/*! What the owner's thread and the workers share; every member under \c mutex unless atomic. */
class WorkerGroup
{
public:
    explicit WorkerGroup(int count);

    struct Slot
    {
        EngineServer *engine = nullptr;   // null: not started or gone; the posting context
        Server *server = nullptr;         // only dereferenced on the worker's thread
        std::atomic<int> clients{0};
    };

    /*! Moves \a socket (no parent, living on the calling thread) to worker \a index, which serves
        it after \a unread. False if that worker is gone (the socket stays with the caller). */
    bool handTo(int index, QTcpSocket *socket, const QByteArray &unread);
    /*! The worker owning Engine.IO session \a sid, or -1. */
    int ownerOf(const QString &sid) const;

    mutable QMutex mutex;
    std::unique_ptr<Slot[]> slots;
    int count = 0;
    QHash<QString, int> sids;   // sticky sessions: sid → worker
    std::atomic<quint64> handOvers{0};
};

class WorkerThread : public QThread
{
public:
    WorkerThread(int index, const ServerOptions &options, const ServerWorkers::Setup &setup,
                 const WorkerHub &hub, std::shared_ptr<WorkerGroup> group, QSemaphore *ready);
    ~WorkerThread() override;

    /*! Called on the worker's thread: closes its Server, lets the last bytes go, ends the loop. */
    void beginClose();

protected:
    void run() override;

private:
    const int m_index;
    const ServerOptions m_options;
    const ServerWorkers::Setup m_setup;
    const WorkerHub m_hub;
    const std::shared_ptr<WorkerGroup> m_group;
    QSemaphore *m_ready;
    // the worker thread's objects, touched on that thread only
    EngineServer *m_engine = nullptr;
    Server *m_server = nullptr;
};

class ServerWorkersPrivate
{
public:
    ServerWorkers *q_ptr = nullptr;
    std::shared_ptr<WorkerGroup> group;
    WorkerHub hub;
    QList<WorkerThread *> threads;
    EngineTcpServer *acceptor = nullptr;
    QString errorString;
    int next = 0;
    bool closed = false;

    void onNewConnections();

    Q_DECLARE_PUBLIC(ServerWorkers)
};

} // namespace SocketIo

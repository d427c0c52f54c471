#pragma once

#include <SocketIo/engineserver.h>
#include <SocketIo/server.h>

#include <QHash>
#include <QList>
#include <QPointer>

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
    QList<QPointer<ServerClient>> clients;
    bool destroying = false;

    static ServerPrivate *get(Server *server) { return server->d_func(); }

    void onEngineConnection(EngineSession *session);
    Namespace *createNamespace(const QString &name);
    /*! Removes namespace \a nsp from the table (cleanupEmptyChildNamespaces). */
    void removeNamespace(Namespace *nsp);
    /*! Asks the dynamic parents, in order, whether \a name is acceptable. \a done gets the
        (possibly new) child namespace or null. May be asynchronous. */
    void checkNamespace(const QString &name, const QCborMap &auth, int index,
                        const std::function<void(Namespace *)> &done);

    static QString normalise(const QString &name);

    Q_DECLARE_PUBLIC(Server)
};

} // namespace SocketIo

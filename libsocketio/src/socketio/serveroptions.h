#pragma once

#include <SocketIo/engineoptions.h>
#include <SocketIo/socketio_export.h>

#include <chrono>
#include <functional>

namespace SocketIo {

class Adapter;
class Namespace;

/*! Creates the adapter of \a nsp; the namespace takes ownership. */
using AdapterFactory = std::function<SocketIo::Adapter *(SocketIo::Namespace *nsp)>;

/*! socket.io's connectionStateRecovery option (protocol.md 3). Reserved: not implemented yet;
    enabling it only logs a warning. */
struct SOCKETIO_EXPORT ConnectionStateRecoveryOptions
{
    bool enabled = false;
    std::chrono::milliseconds maxDisconnectionDuration{120000};
    bool skipMiddlewares = true;
};

/*!
  socket.io's server options: every Engine.IO option (this struct is an EngineOptions, with path
  defaulting to "/socket.io/") plus the Socket.IO ones (protocol.md 4.1).
*/
struct SOCKETIO_EXPORT ServerOptions : public EngineOptions
{
    ServerOptions();

    /*! Close a connection that has joined no namespace this long after it opened. */
    std::chrono::milliseconds connectTimeout{45000};
    /*! Delete a dynamically created child namespace when its last socket leaves. */
    bool cleanupEmptyChildNamespaces = false;
    /*! See ConnectionStateRecoveryOptions. */
    ConnectionStateRecoveryOptions connectionStateRecovery;
    /*! Adapter per namespace; null: InMemoryAdapter. */
    AdapterFactory adapter;
};

} // namespace SocketIo

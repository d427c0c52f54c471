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

/*!
  socket.io's connectionStateRecovery option (protocol.md 3). When enabled:
  - the CONNECT reply carries a private session id: 40{"sid":"…","pid":"…"};
  - every EVENT sent through the adapter without ack id and not volatile (broadcasts and plain
    Socket::emitEvent()) gets its offset appended as the last argument and is logged;
  - a socket that leaves with a recoverable reason (transport error or close, forced close, ping
    timeout, server shutting down, forced server close) has its session stored;
  - a CONNECT whose auth carries "pid" and "offset" strings of a stored session gets a socket with
    the old id, rooms and data (Socket::isRecovered()), and the EVENTs it missed are written
    before the CONNECT reply. Otherwise it gets a new session.
  The default adapter becomes SessionAwareAdapter; a custom ServerOptions::adapter must implement
  Adapter::persistSession()/restoreSession() itself, or recovery never succeeds.
*/
struct SOCKETIO_EXPORT ConnectionStateRecoveryOptions
{
    /*! Off by default, as in socket.io. */
    bool enabled = false;
    /*! How long a session and the logged packets stay restorable (socket.io: 2 minutes). */
    std::chrono::milliseconds maxDisconnectionDuration{120000};
    /*! A recovered socket does not run the namespace middlewares again. */
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
    /*! Adapter per namespace; null: InMemoryAdapter, or SessionAwareAdapter when
        connectionStateRecovery is enabled. */
    AdapterFactory adapter;

    /*! Serve the JavaScript client bundle under the server's path, as socket.io's serveClient:
        GET <path>socket.io.js (also .min.js, .esm.min.js, .msgpack.min.js and their .map files)
        from clientFilesPath, with socket.io's Cache-Control, Content-Type and ETag headers, 304
        for a matching If-None-Match, deflate for clients that accept it. Off by default (socket.io
        has it on, with the files of its own npm package; there is no bundle here to default to). */
    bool serveClient = false;
    /*! The directory holding the client files, e.g. node_modules/socket.io-client/dist. Read
        when the server starts listening (or attaches; each ServerWorkers worker reads its own). */
    QString clientFilesPath;
    /*! The version in the ETag; empty: the "version" of a package.json in clientFilesPath or
        its parent (socket.io-client's for its dist directory, as socket.io uses the client's
        version), else a hash of the files. */
    QString clientVersion;
};

} // namespace SocketIo

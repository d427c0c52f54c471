// Serving the JavaScript client bundle under the server's path, as socket.io's serveClient does
// (GET /socket.io/socket.io.js, .min.js, .esm.min.js, .msgpack.min.js and their source maps).
#pragma once

#include "engineio/engineserver_p.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <memory>
#include <optional>

namespace SocketIo {

struct ServerOptions;

/*!
  The client files found in ServerOptions::clientFilesPath, read once into memory (with a
  deflate-compressed copy for clients that accept it), answered with socket.io's headers:
  Cache-Control "public, max-age=0", Content-Type application/javascript (application/json for
  maps), ETag "<client version>" and 304 for a matching If-None-Match (strong or weak).
*/
class ClientFiles
{
public:
    /*! Loads the files of \a options; empty (serving nothing) unless serveClient is set and the
        directory holds at least one of the files. Warns about what it cannot use. */
    static std::shared_ptr<const ClientFiles> load(const ServerOptions &options);

    /*! The response to \a request if it names one of the files under the server's path. */
    std::optional<StaticResponse> serve(const Protocol::HttpRequest &request) const;

    /*! The ETag value, quoted ("4.8.4" for socket.io-client 4.8.4). */
    QByteArray etag() const { return m_etag; }
    qsizetype fileCount() const { return m_files.size(); }

private:
    struct File
    {
        QByteArray content;
        QByteArray deflated;   // zlib stream (Content-Encoding: deflate), empty if not smaller
        bool map = false;
    };
    QByteArray m_prefix;   // the server's path with its trailing slash, e.g. "/socket.io/"
    QByteArray m_etag;
    QHash<QByteArray, File> m_files;
};

/*! Installs \a files on \a engine (replacing what was there; null removes it). */
void installClientFiles(EngineServer *engine, std::shared_ptr<const ClientFiles> files);

} // namespace SocketIo

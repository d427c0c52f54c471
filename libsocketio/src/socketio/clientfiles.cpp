#include "clientfiles_p.h"

#include "logging_p.h"

#include <SocketIo/serveroptions.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace SocketIo {

namespace {

// socket.io's CLIENT_FILES
const char *const ClientFileNames[] = {
    "socket.io.js", "socket.io.js.map",
    "socket.io.min.js", "socket.io.min.js.map",
    "socket.io.esm.min.js", "socket.io.esm.min.js.map",
    "socket.io.msgpack.min.js", "socket.io.msgpack.min.js.map",
};

// The client's version from the package.json next to (or above) the files, as socket.io takes
// socket.io-client's version for its ETag.
QString packageVersion(const QDir &dir)
{
    for (const QString &candidate : {dir.filePath(QStringLiteral("package.json")),
                                     dir.filePath(QStringLiteral("../package.json"))}) {
        QFile file(candidate);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject json = QJsonDocument::fromJson(file.read(1 << 20)).object();
        const QString version = json.value(QLatin1String("version")).toString();
        if (!version.isEmpty())
            return version;
    }
    return {};
}

// Whether the Accept-Encoding header allows "deflate" (a q-value of 0 refuses it).
bool acceptsDeflate(const QByteArray &acceptEncoding)
{
    for (const QByteArray &part : acceptEncoding.split(',')) {
        const QList<QByteArray> fields = part.split(';');
        const QByteArray coding = fields.first().trimmed().toLower();
        if (coding != "deflate" && coding != "*")
            continue;
        for (qsizetype i = 1; i < fields.size(); ++i) {
            const QByteArray param = fields.at(i).trimmed();
            if (param.startsWith("q=") && param.mid(2).toDouble() <= 0)
                return false;
        }
        return true;
    }
    return false;
}

} // namespace

std::shared_ptr<const ClientFiles> ClientFiles::load(const ServerOptions &options)
{
    if (!options.serveClient)
        return {};
    if (options.clientFilesPath.isEmpty()) {
        qCWarning(lcServer, "serveClient is set but clientFilesPath is empty: no client files are served");
        return {};
    }
    const QDir dir(options.clientFilesPath);
    auto files = std::make_shared<ClientFiles>();
    QByteArray path = options.path.toUtf8();
    if (!path.endsWith('/'))
        path += '/';
    files->m_prefix = path;
    QCryptographicHash hash(QCryptographicHash::Sha1);
    for (const char *name : ClientFileNames) {
        QFile file(dir.filePath(QString::fromLatin1(name)));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        File f;
        f.content = file.readAll();
        f.map = QByteArray(name).endsWith(".map");
        // qCompress() writes a 4-byte length, then a zlib stream: what "deflate" means in HTTP
        const QByteArray compressed = qCompress(f.content, 9).mid(4);
        if (compressed.size() < f.content.size())
            f.deflated = compressed;
        hash.addData(f.content);
        files->m_files.insert(QByteArray(name), f);
    }
    if (files->m_files.isEmpty()) {
        qCWarning(lcServer, "serveClient: no socket.io client files in %s", qUtf8Printable(dir.absolutePath()));
        return {};
    }
    QString version = options.clientVersion.isEmpty() ? packageVersion(dir) : options.clientVersion;
    if (version.isEmpty())
        version = QString::fromLatin1(hash.result().toHex().left(16));
    files->m_etag = '"' + version.toUtf8() + '"';
    qCDebug(lcServer, "serving %lld client files from %s under %s, ETag %s", qint64(files->m_files.size()),
            qUtf8Printable(dir.absolutePath()), path.constData(), files->m_etag.constData());
    return files;
}

std::optional<StaticResponse> ClientFiles::serve(const Protocol::HttpRequest &request) const
{
    if (!request.path.startsWith(m_prefix))
        return std::nullopt;
    const auto it = m_files.constFind(request.path.mid(m_prefix.size()));
    if (it == m_files.constEnd())
        return std::nullopt;
    StaticResponse r;
    const QByteArray ifNoneMatch = request.header("if-none-match");
    if (!ifNoneMatch.isNull() && (ifNoneMatch == m_etag || ifNoneMatch == "W/" + m_etag)) {
        r.status = 304;
        return r;
    }
    r.status = 200;
    r.headers.append({QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("public, max-age=0")});
    r.headers.append({QByteArrayLiteral("Content-Type"), it->map ? QByteArrayLiteral("application/json; charset=utf-8")
                                                                 : QByteArrayLiteral("application/javascript; charset=utf-8")});
    r.headers.append({QByteArrayLiteral("ETag"), m_etag});
    if (!it->deflated.isEmpty())
        r.headers.append({QByteArrayLiteral("Vary"), QByteArrayLiteral("Accept-Encoding")});
    if (!it->deflated.isEmpty() && acceptsDeflate(request.header("accept-encoding"))) {
        r.headers.append({QByteArrayLiteral("Content-Encoding"), QByteArrayLiteral("deflate")});
        r.body = it->deflated;
    } else {
        r.body = it->content;
    }
    return r;
}

void installClientFiles(EngineServer *engine, std::shared_ptr<const ClientFiles> files)
{
    EngineServerPrivate *d = EngineServerPrivate::get(engine);
    if (!files) {
        d->staticFiles = nullptr;
        return;
    }
    d->staticFiles = [files](const Protocol::HttpRequest &request) { return files->serve(request); };
}

} // namespace SocketIo

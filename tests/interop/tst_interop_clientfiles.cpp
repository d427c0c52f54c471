// serveClient: the JavaScript client bundle served under the server's path, as socket.io does,
// from the real files of the pinned npm socket.io-client; a Node process loads the served
// socket.io.js as a page would and talks to our server with it.

#include "nodeprocess.h"
#include "rawhttpclient.h"
#include "siotesthelpers.h"

#include <SocketIo/server.h>
#include <SocketIo/serverworkers.h>
#include <SocketIo/socket.h>

#include <QFile>
#include <QtEndian>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using SocketIo::Test::NodeProcess;

namespace {

const QString DistDir = QStringLiteral(SOCKETIO_SOURCE_DIR "/node_modules/socket.io-client/dist");

QByteArray fileContent(const QString &name)
{
    QFile f(DistDir + u'/' + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray clientVersion()
{
    QFile f(QStringLiteral(SOCKETIO_SOURCE_DIR "/node_modules/socket.io-client/package.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value("version"_L1).toString().toUtf8();
}

SocketIo::ServerOptions serveOptions()
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.serveClient = true;
    options.clientFilesPath = DistDir;
    return options;
}

} // namespace

class tst_InteropClientFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void servesTheBundleWithSocketIoHeaders_data();
    void servesTheBundleWithSocketIoHeaders();
    void etagAnswers304();
    void deflateWhenAccepted();
    void otherRequestsReachTheEngine();
    void offByDefaultAndWithoutFiles();
    void corsHeadersOnTheFiles();
    void nodeLoadsTheServedBundleAndConnects();
    void workersServeTheBundle();
};

void tst_InteropClientFiles::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    sioRegisterMetaTypes();
    QVERIFY2(!fileContent(u"socket.io.js"_s).isEmpty(), qPrintable(DistDir));
    QVERIFY(!clientVersion().isEmpty());
}

void tst_InteropClientFiles::servesTheBundleWithSocketIoHeaders_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("contentType");
    for (const char *name : {"socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.msgpack.min.js"}) {
        QTest::newRow(name) << QString::fromLatin1(name) << QByteArray("application/javascript; charset=utf-8");
        const QByteArray map = QByteArray(name) + ".map";
        QTest::newRow(map.constData()) << QString::fromLatin1(map) << QByteArray("application/json; charset=utf-8");
    }
}

void tst_InteropClientFiles::servesTheBundleWithSocketIoHeaders()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, contentType);
    auto io = sioStartServer(serveOptions());
    QVERIFY(io);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, io->serverPort()));
    // a query string (cache busting) does not matter, as in socket.io
    for (const QByteArray &suffix : {QByteArray(), QByteArray("?v=3")}) {
        const RawHttpResponse r = http.request("GET", "/socket.io/" + file.toLatin1() + suffix);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-type"), contentType);
        QCOMPARE(r.header("cache-control"), QByteArray("public, max-age=0"));
        QCOMPARE(r.header("etag"), '"' + clientVersion() + '"');
        QVERIFY(!r.hasHeader("content-encoding"));
        QCOMPARE(r.body, fileContent(file));
    }
}

void tst_InteropClientFiles::etagAnswers304()
{
    auto io = sioStartServer(serveOptions());
    QVERIFY(io);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, io->serverPort()));
    const QByteArray etag = '"' + clientVersion() + '"';
    RawHttpResponse r = http.request("GET", "/socket.io/socket.io.min.js", {}, {"If-None-Match: " + etag});
    QCOMPARE(r.status, 304);
    QVERIFY(r.body.isEmpty());
    r = http.request("GET", "/socket.io/socket.io.min.js", {}, {"If-None-Match: W/" + etag});
    QCOMPARE(r.status, 304);
    r = http.request("GET", "/socket.io/socket.io.min.js", {}, {"If-None-Match: \"0.0.1\""});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, fileContent(u"socket.io.min.js"_s));
}

void tst_InteropClientFiles::deflateWhenAccepted()
{
    auto io = sioStartServer(serveOptions());
    QVERIFY(io);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, io->serverPort()));
    const QByteArray original = fileContent(u"socket.io.js"_s);
    RawHttpResponse r = http.request("GET", "/socket.io/socket.io.js", {}, {"Accept-Encoding: gzip, deflate, br"});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-encoding"), QByteArray("deflate"));
    QCOMPARE(r.header("vary"), QByteArray("Accept-Encoding"));
    QVERIFY(r.body.size() < original.size());
    // a zlib stream: qUncompress() wants the uncompressed size in front
    QByteArray sized(4, '\0');
    qToBigEndian<quint32>(quint32(original.size()), sized.data());
    QCOMPARE(qUncompress(sized + r.body), original);
    // refused with q=0, or not offered: the file as it is
    r = http.request("GET", "/socket.io/socket.io.js", {}, {"Accept-Encoding: gzip, deflate;q=0"});
    QVERIFY(!r.hasHeader("content-encoding"));
    QCOMPARE(r.body, original);
    r = http.request("GET", "/socket.io/socket.io.js", {}, {"Accept-Encoding: gzip"});
    QVERIFY(!r.hasHeader("content-encoding"));
    QCOMPARE(r.body, original);
}

void tst_InteropClientFiles::otherRequestsReachTheEngine()
{
    auto io = sioStartServer(serveOptions());
    QVERIFY(io);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, io->serverPort()));
    // not one of the client files: Engine.IO answers as without serveClient
    RawHttpResponse r = http.request("GET", "/socket.io/other.js");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, QByteArray(R"({"code":0,"message":"Transport unknown"})"));
    r = http.request("GET", "/socket.io/dist/socket.io.js");
    QCOMPARE(r.status, 400);
    // and the engine still works on the same connection
    r = http.request("GET", "/socket.io/?EIO=4&transport=polling");
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.startsWith("0{"));
}

void tst_InteropClientFiles::offByDefaultAndWithoutFiles()
{
    auto plain = sioStartServer();
    QVERIFY(plain);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, plain->serverPort()));
    QCOMPARE(http.request("GET", "/socket.io/socket.io.js").status, 400);

    SocketIo::ServerOptions options = serveOptions();
    options.clientFilesPath = QStringLiteral(SOCKETIO_BINARY_DIR "/no-such-directory");
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"no socket.io client files in"_s));
    auto missing = sioStartServer(options);
    QVERIFY(missing);   // the server runs; it just has nothing to serve
    RawHttpClient other;
    QVERIFY(other.connectToHost(QHostAddress::LocalHost, missing->serverPort()));
    QCOMPARE(other.request("GET", "/socket.io/socket.io.js").status, 400);
}

void tst_InteropClientFiles::corsHeadersOnTheFiles()
{
    SocketIo::ServerOptions options = serveOptions();
    options.cors.enabled = true;
    options.cors.origins = {u"https://app.example"_s};
    auto io = sioStartServer(options);
    QVERIFY(io);
    RawHttpClient http;
    QVERIFY(http.connectToHost(QHostAddress::LocalHost, io->serverPort()));
    const RawHttpResponse r = http.request("GET", "/socket.io/socket.io.esm.min.js", {}, {"Origin: https://app.example"});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("access-control-allow-origin"), QByteArray("https://app.example"));
}

void tst_InteropClientFiles::nodeLoadsTheServedBundleAndConnects()
{
    auto io = sioStartServer(serveOptions());
    QVERIFY(io);
    QStringList heard;
    QObject::connect(io.get(), &SocketIo::Server::connection, io.get(), [&heard](SocketIo::Socket *s) {
        s->on(u"hello"_s, s, [&heard](const SocketIo::Message &m) {
            heard.append(m.args().at(0).toString());
            m.ack({u"welcome"_s});
        });
    });
    NodeProcess client;
    QVERIFY(client.start(u"served-bundle-client.js"_s,
                         {u"--url"_s, u"http://127.0.0.1:%1"_s.arg(io->serverPort())}));
    const QJsonObject bundle = client.waitForLine([](const QJsonObject &l) {
        return l.value("event"_L1) == "bundle"_L1 || l.value("event"_L1) == "error"_L1;
    });
    QCOMPARE(bundle.value("event"_L1).toString(), u"bundle"_s);
    QCOMPARE(bundle.value("status"_L1).toInt(), 200);
    QCOMPARE(bundle.value("etag"_L1).toString().toUtf8(), '"' + clientVersion() + '"');
    QVERIFY(bundle.value("hasManager"_L1).toBool());   // the UMD bundle's io(), with io.Manager
    const QJsonObject ack = client.waitForLine([](const QJsonObject &l) {
        return l.value("event"_L1) == "ack"_L1 || l.value("event"_L1) == "error"_L1;
    });
    QCOMPARE(ack.value("event"_L1).toString(), u"ack"_s);
    QCOMPARE(ack.value("args"_L1).toArray(), QJsonArray{u"welcome"_s});
    QCOMPARE(heard, QStringList{u"from the served bundle"_s});
}

void tst_InteropClientFiles::workersServeTheBundle()
{
    // each worker's server serves the files (ServerWorkers attaches them to their engines)
    SocketIo::ServerWorkers workers(2, serveOptions(), [](SocketIo::Server *, int) {});
    QVERIFY(workers.listen(QHostAddress::LocalHost, 0));
    for (int i = 0; i < 4; ++i) {   // round-robin: both workers answer
        RawHttpClient http;
        QVERIFY(http.connectToHost(QHostAddress::LocalHost, workers.serverPort()));
        const RawHttpResponse r = http.request("GET", "/socket.io/socket.io.min.js");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, fileContent(u"socket.io.min.js"_s));
    }
}

QTEST_GUILESS_MAIN(tst_InteropClientFiles)
#include "tst_interop_clientfiles.moc"

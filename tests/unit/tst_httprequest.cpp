// Strict HTTP/1.1 request parser: valid heads, every malformed case, limits, incremental feeding
// and pipelining.
#include "protocol/httprequest.h"

#include <QTest>

using namespace SocketIo::Protocol;
using State = HttpRequestParser::State;

class tst_HttpRequest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesValidRequests_data();
    void parsesValidRequests();
    void refusesMalformedRequests_data();
    void refusesMalformedRequests();
    void parsesWhenFedByteByByte();
    void chunkedBodyFedByteByByteThenPipelined();
    void chunkedBodyAsReceivedRebuildsAPartialRequest();
    void chunkedFramingIsNotKeptOnceDropped();
    void reportsHeadBeforeBody();
    void keepsPipelinedBytes();
    void refusesOversizeBodyWith413();
    void reportsHeadSize();
    void keepAliveAndUpgradeRules_data();
    void keepAliveAndUpgradeRules();
    void headerNamesAreLowerCasedAndLookedUpExactly();
    void methodIsCaseSensitive();
    void headSplitAcrossReadsAnywhere();
    void errorsFoundWhereverTheReadsSplit_data();
    void errorsFoundWhereverTheReadsSplit();
    void decodesQueryComponentsAsUrlSearchParams_data();
    void decodesQueryComponentsAsUrlSearchParams();
};

static const QByteArray Host = "Host: example\r\n";

void tst_HttpRequest::parsesValidRequests_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("simple get") << ("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n" + Host + "\r\n")
                                << QByteArray("GET") << QByteArray("/engine.io/") << QByteArray("EIO=4&transport=polling") << QByteArray();
    QTest::newRow("post with body") << ("POST /x HTTP/1.1\r\n" + Host + "Content-Length: 5\r\n\r\nhello")
                                    << QByteArray("POST") << QByteArray("/x") << QByteArray() << QByteArray("hello");
    QTest::newRow("http 1.0 without host") << QByteArray("GET / HTTP/1.0\r\n\r\n")
                                           << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray();
    QTest::newRow("leading empty line") << ("\r\nGET / HTTP/1.1\r\n" + Host + "\r\n")
                                        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray();
    QTest::newRow("repeated equal content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok")
                                                   << QByteArray("POST") << QByteArray("/") << QByteArray() << QByteArray("ok");
    QTest::newRow("content-length list of equal values") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 2, 2\r\n\r\nok")
                                                         << QByteArray("POST") << QByteArray("/") << QByteArray() << QByteArray("ok");
    QTest::newRow("header value with obs-text and tab") << ("GET / HTTP/1.1\r\n" + Host + "X-A: \t caf\xc3\xa9 \t\r\n\r\n")
                                                        << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray();
    QTest::newRow("empty query") << ("GET /a? HTTP/1.1\r\n" + Host + "\r\n")
                                 << QByteArray("GET") << QByteArray("/a") << QByteArray() << QByteArray();
    const QByteArray chunkedHead = "POST /c HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunked body") << (chunkedHead + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                                  << QByteArray("POST") << QByteArray("/c") << QByteArray() << QByteArray("abcde");
    QTest::newRow("chunked, hex sizes of both cases, extensions, trailer")
        << ("POST /c HTTP/1.1\r\n" + Host + "transfer-encoding: Chunked\r\n\r\n"
            + "A;x=1\r\n0123456789\r\nb ; y\r\nabcdefghijk\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n")
        << QByteArray("POST") << QByteArray("/c") << QByteArray() << QByteArray("0123456789abcdefghijk");
    QTest::newRow("empty chunked body") << (chunkedHead + "0\r\n\r\n")
                                        << QByteArray("POST") << QByteArray("/c") << QByteArray() << QByteArray();
    QTest::newRow("chunked body of exactly the limit") << (chunkedHead + "F4240\r\n" + QByteArray(1000000, 'z') + "\r\n0\r\n\r\n")
                                   << QByteArray("POST") << QByteArray("/c") << QByteArray() << QByteArray(1000000, 'z');
}

void tst_HttpRequest::parsesValidRequests()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, body);
    HttpRequestParser parser(1000000);
    QCOMPARE(parser.feed(raw), State::Complete);
    const HttpRequest r = parser.takeRequest();
    QCOMPARE(r.method, method);
    QCOMPARE(r.path, path);
    QCOMPARE(r.query, query);
    QCOMPARE(r.body, body);
    QCOMPARE(parser.state(), State::NeedMore);
}

void tst_HttpRequest::refusesMalformedRequests_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");

    QTest::newRow("garbage line") << QByteArray("HELLO\r\n\r\n") << 400;
    QTest::newRow("bare LF line endings") << QByteArray("GET / HTTP/1.1\nHost: a\n\n") << 400;
    QTest::newRow("bare LF inside header") << ("GET / HTTP/1.1\r\n" + Host + "X: a\nb\r\n\r\n") << 400;
    QTest::newRow("bare CR inside header") << ("GET / HTTP/1.1\r\n" + Host + "X: a\rb\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << ("GET / HTTP/1.1\r\n" + Host + "X: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("space before colon") << ("GET / HTTP/1.1\r\n" + Host + "X : a\r\n\r\n") << 400;
    QTest::newRow("invalid token char in name") << ("GET / HTTP/1.1\r\n" + Host + "X(y): a\r\n\r\n") << 400;
    QTest::newRow("empty header name") << ("GET / HTTP/1.1\r\n" + Host + ": a\r\n\r\n") << 400;
    QTest::newRow("header without colon") << ("GET / HTTP/1.1\r\n" + Host + "Xyz\r\n\r\n") << 400;
    QTest::newRow("control char in value") << ("GET / HTTP/1.1\r\n" + Host + "X: a\x01" "b\r\n\r\n") << 400;
    QTest::newRow("nul in value") << ("GET / HTTP/1.1\r\n" + Host + QByteArray("X: a\0b\r\n\r\n", 11)) << 400;
    QTest::newRow("invalid method token") << ("G(T / HTTP/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("double space in request line") << ("GET  / HTTP/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("missing version") << ("GET /\r\n" + Host + "\r\n") << 400;
    QTest::newRow("lowercase version") << ("GET / http/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("absolute form target") << ("GET http://a/ HTTP/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("asterisk target") << ("OPTIONS * HTTP/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("non-ascii in target") << ("GET /\xc3\xa9 HTTP/1.1\r\n" + Host + "\r\n") << 400;
    QTest::newRow("http 2.0") << ("GET / HTTP/2.0\r\n" + Host + "\r\n") << 505;
    QTest::newRow("http 0.9 style") << ("GET / HTTP/0.9\r\n" + Host + "\r\n") << 505;
    QTest::newRow("missing host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("two hosts") << ("GET / HTTP/1.1\r\n" + Host + Host + "\r\n") << 400;
    QTest::newRow("conflicting content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc") << 400;
    QTest::newRow("conflicting content-length list") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 2, 3\r\n\r\nabc") << 400;
    QTest::newRow("negative content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: -1\r\n\r\n") << 400;
    QTest::newRow("non-numeric content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 1e3\r\n\r\n") << 400;
    QTest::newRow("empty content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length:\r\n\r\n") << 400;
    QTest::newRow("huge content-length") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 99999999999999999999\r\n\r\n") << 413;
    QTest::newRow("content-length and transfer-encoding") << ("POST / HTTP/1.1\r\n" + Host + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
    QTest::newRow("gzip transfer-encoding refused") << ("POST / HTTP/1.1\r\n" + Host + "Transfer-Encoding: gzip\r\n\r\n") << 501;
    QTest::newRow("gzip before chunked refused") << ("POST / HTTP/1.1\r\n" + Host + "Transfer-Encoding: gzip, chunked\r\n\r\n") << 501;
    QTest::newRow("coding after chunked") << ("POST / HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n") << 400;
    QTest::newRow("transfer-encoding in http 1.0") << QByteArray("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") << 400;
    const QByteArray chunkedHead = "POST / HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunk size not hex") << (chunkedHead + "zz\r\nabc\r\n") << 400;
    QTest::newRow("empty chunk size") << (chunkedHead + "\r\nabc\r\n") << 400;
    QTest::newRow("chunk size with junk after it") << (chunkedHead + "3 x\r\nabc\r\n") << 400;
    QTest::newRow("chunk data longer than its size") << (chunkedHead + "2\r\nabc\r\n0\r\n\r\n") << 400;
    QTest::newRow("chunk size overflowing 64 bits") << (chunkedHead + "1" + QByteArray(16, '0') + "\r\n") << 400;
    QTest::newRow("chunk size line too long") << (chunkedHead + "1;" + QByteArray(2000, 'x')) << 400;
    QTest::newRow("control character in chunk extension") << (chunkedHead + "1;a\x01\r\nx\r\n") << 400;
    QTest::newRow("malformed trailer") << (chunkedHead + "1\r\nx\r\n0\r\nno colon\r\n\r\n") << 400;
    QTest::newRow("chunked body over the limit") << (chunkedHead + "F4241\r\n") << 413;
    QTest::newRow("many tiny chunks with long extensions")
        << (chunkedHead + QByteArray("1;" + QByteArray(1000, 'x') + "\r\na\r\n").repeated(20)) << 413;
    QTest::newRow("chunked body over the limit in small chunks")
        << (chunkedHead + QByteArray("3e8\r\n" + QByteArray(1000, 'a') + "\r\n").repeated(1001)) << 413;
    QTest::newRow("oversize head") << ("GET / HTTP/1.1\r\n" + Host + "X: " + QByteArray(MaxHttpHeadSize, 'a') + "\r\n\r\n") << 431;
    QTest::newRow("oversize head without end") << ("GET / HTTP/1.1\r\n" + Host + "X: " + QByteArray(MaxHttpHeadSize, 'a')) << 431;
    QTest::newRow("too many header lines") << ("GET / HTTP/1.1\r\n" + Host + QByteArray("X: a\r\n").repeated(MaxHttpHeaderLines) + "\r\n") << 431;
    QTest::newRow("request line too long") << ("GET /" + QByteArray(MaxHttpRequestLineLength, 'a') + " HTTP/1.1\r\n" + Host + "\r\n") << 414;
    QTest::newRow("too many leading empty lines") << (QByteArray("\r\n").repeated(10) + "GET / HTTP/1.1\r\n" + Host + "\r\n") << 400;
}

void tst_HttpRequest::refusesMalformedRequests()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    HttpRequestParser parser(1000000);
    QCOMPARE(parser.feed(raw), State::Error);
    QCOMPARE(parser.errorStatus(), status);
    QVERIFY(!parser.errorString().isEmpty());
    // An errored parser stays errored.
    QCOMPARE(parser.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), State::Error);
}

void tst_HttpRequest::parsesWhenFedByteByByte()
{
    const QByteArray raw = "POST /p?q=1 HTTP/1.1\r\n" + Host + "Content-Length: 3\r\n\r\nabc";
    HttpRequestParser parser;
    State s = State::NeedMore;
    for (char c : raw)
        s = parser.feed(QByteArrayView(&c, 1));
    QCOMPARE(s, State::Complete);
    QCOMPARE(parser.request().body, QByteArray("abc"));
    QCOMPARE(parser.request().header("host"), QByteArray("example"));
}

void tst_HttpRequest::chunkedBodyFedByteByByteThenPipelined()
{
    const QByteArray first = "POST /1 HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n"
        + "4;e=1\r\nabcd\r\n1\r\ne\r\n0\r\nT: x\r\n\r\n";
    const QByteArray second = "GET /2 HTTP/1.1\r\n" + Host + "\r\n";
    HttpRequestParser parser;
    State s = State::NeedMore;
    qsizetype fed = 0;
    for (char c : first) {
        s = parser.feed(QByteArrayView(&c, 1));
        ++fed;
        if (fed < first.size())
            QVERIFY2(s == State::NeedMore || s == State::HeadComplete, qPrintable(QString::number(fed)));
    }
    QCOMPARE(s, State::Complete);
    QCOMPARE(parser.request().body, QByteArray("abcde"));
    QCOMPARE(parser.bodyAsReceived(), QByteArray("4;e=1\r\nabcd\r\n1\r\ne\r\n0\r\nT: x\r\n\r\n"));
    QCOMPARE(parser.takeRequest().path, QByteArray("/1"));
    QCOMPARE(parser.feed(second), State::Complete);
    QCOMPARE(parser.takeRequest().path, QByteArray("/2"));
}

void tst_HttpRequest::chunkedBodyAsReceivedRebuildsAPartialRequest()
{
    // a hand-over rebuilds the request from its head, bodyAsReceived() and takeBuffered(): a
    // second parser fed with that gets the same body
    const QByteArray head = "POST /h HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n";
    HttpRequestParser parser;
    QCOMPARE(parser.feed(QByteArray(head + "5\r\nhel")), State::HeadComplete);
    const QByteArray rebuilt = head + parser.bodyAsReceived() + parser.takeBuffered();
    HttpRequestParser other;
    QCOMPARE(other.feed(QByteArray(rebuilt + "lo\r\n0\r\n\r\n")), State::Complete);
    QCOMPARE(other.request().body, QByteArray("hello"));
}

void tst_HttpRequest::chunkedFramingIsNotKeptOnceDropped()
{
    // the front drops the framing copy once the request stays on its connection: memory is the
    // decoded body only, whatever the peer's chunking
    const QByteArray head = "POST /m HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n";
    HttpRequestParser parser;
    QCOMPARE(parser.feed(QByteArray(head + "1;e\r\na\r\n")), State::HeadComplete);
    QCOMPARE(parser.bodyAsReceived(), QByteArray("1;e\r\na\r\n"));
    parser.dropBodyAsReceived();
    QCOMPARE(parser.feed(QByteArray(QByteArray("1;e\r\nb\r\n").repeated(100) + "0\r\n\r\n")), State::Complete);
    QVERIFY(parser.bodyAsReceived().isEmpty());
    QCOMPARE(parser.request().body, "a" + QByteArray("b").repeated(100));
    // and the next request keeps it again until dropped
    parser.takeRequest();
    QCOMPARE(parser.feed(QByteArray(head + "2\r\nxy\r\n")), State::HeadComplete);
    QCOMPARE(parser.bodyAsReceived(), QByteArray("2\r\nxy\r\n"));
}

void tst_HttpRequest::reportsHeadBeforeBody()
{
    HttpRequestParser parser;
    QCOMPARE(parser.feed(QByteArray("POST / HTTP/1.1\r\n" + Host + "Content-Length: 4\r\n\r\nab")), State::HeadComplete);
    QCOMPARE(parser.request().method, QByteArray("POST"));
    QCOMPARE(parser.feed("cd"), State::Complete);
    QCOMPARE(parser.request().body, QByteArray("abcd"));
}

void tst_HttpRequest::keepsPipelinedBytes()
{
    HttpRequestParser parser;
    const QByteArray first = "GET /1 HTTP/1.1\r\n" + Host + "\r\n";
    const QByteArray second = "GET /2 HTTP/1.1\r\n" + Host + "\r\n";
    QCOMPARE(parser.feed(QByteArray(first + second + "GET /3")), State::Complete);
    QCOMPARE(parser.takeRequest().path, QByteArray("/1"));
    QCOMPARE(parser.parseBuffered(), State::Complete);
    QCOMPARE(parser.takeRequest().path, QByteArray("/2"));
    QCOMPARE(parser.parseBuffered(), State::NeedMore);
    QCOMPARE(parser.takeBuffered(), QByteArray("GET /3"));
}

void tst_HttpRequest::refusesOversizeBodyWith413()
{
    HttpRequestParser parser(10);
    QCOMPARE(parser.feed(QByteArray("POST / HTTP/1.1\r\n" + Host + "Content-Length: 11\r\n\r\n")), State::Error);
    QVERIFY(parser.bodyTooLarge());
    QCOMPARE(parser.errorStatus(), 413);
    HttpRequestParser exact(10);
    QCOMPARE(exact.feed(QByteArray("POST / HTTP/1.1\r\n" + Host + "Content-Length: 10\r\n\r\n0123456789")), State::Complete);
}

void tst_HttpRequest::reportsHeadSize()
{
    HttpRequestParser parser;
    const QByteArray head = "GET / HTTP/1.1\r\n" + Host + "\r\n";
    QCOMPARE(parser.feed(QByteArray(head + "\x81\x85")), State::Complete);
    QCOMPARE(parser.headSize(), head.size());
    QCOMPARE(parser.takeBuffered(), QByteArray("\x81\x85"));
}

void tst_HttpRequest::keepAliveAndUpgradeRules_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<bool>("upgrade");
    QTest::newRow("1.1 default keep-alive") << ("GET / HTTP/1.1\r\n" + Host + "\r\n") << true << false;
    QTest::newRow("1.1 connection close") << ("GET / HTTP/1.1\r\n" + Host + "Connection: Close\r\n\r\n") << false << false;
    QTest::newRow("1.0 default close") << QByteArray("GET / HTTP/1.0\r\n\r\n") << false << false;
    QTest::newRow("1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << true << false;
    QTest::newRow("websocket upgrade") << ("GET / HTTP/1.1\r\n" + Host + "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\n") << true << true;
    QTest::newRow("upgrade without connection token") << ("GET / HTTP/1.1\r\n" + Host + "Upgrade: websocket\r\n\r\n") << true << false;
}

void tst_HttpRequest::keepAliveAndUpgradeRules()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, keepAlive);
    QFETCH(bool, upgrade);
    HttpRequestParser parser;
    QCOMPARE(parser.feed(raw), State::Complete);
    QCOMPARE(parser.request().keepAlive(), keepAlive);
    QCOMPARE(parser.request().isWebSocketUpgrade(), upgrade);
}

void tst_HttpRequest::headerNamesAreLowerCasedAndLookedUpExactly()
{
    // Well-known names (kept as shared static strings) and others (copied) alike.
    const QByteArray raw = "GET / HTTP/1.1\r\nHOST: example\r\nSec-WebSocket-Key: k==\r\n"
                           "X-Custom-THING:  v 1 \r\nconnection: Upgrade\r\nUPGRADE: websocket\r\n"
                           "Sec-WebSocket-Keys: other\r\nHos: short\r\n\r\n";
    HttpRequestParser parser;
    QCOMPARE(parser.feed(raw), State::Complete);
    const HttpRequest &r = parser.request();
    const QList<QPair<QByteArray, QByteArray>> expected = {
        {"host", "example"}, {"sec-websocket-key", "k=="}, {"x-custom-thing", "v 1"},
        {"connection", "Upgrade"}, {"upgrade", "websocket"}, {"sec-websocket-keys", "other"},
        {"hos", "short"}};
    QCOMPARE(r.headers, expected);
    QCOMPARE(r.header("host"), QByteArray("example"));
    QCOMPARE(r.header("x-custom-thing"), QByteArray("v 1"));
    QCOMPARE(r.header("sec-websocket-keys"), QByteArray("other"));
    QVERIFY(r.hasHeader("hos"));
    // Lookups take lower-case names: nothing else matches, nor a prefix.
    QVERIFY(r.header("Host").isNull());
    QVERIFY(r.header("hostx").isNull());
    QVERIFY(r.header("ho").isNull());
    QVERIFY(!r.hasHeader("x-custom"));
    QVERIFY(r.isWebSocketUpgrade());
}

void tst_HttpRequest::methodIsCaseSensitive()
{
    for (const QByteArray &method : {QByteArray("GET"), QByteArray("get"), QByteArray("Post"),
                                    QByteArray("POST"), QByteArray("PURGE"), QByteArray("GETS")}) {
        HttpRequestParser parser;
        QCOMPARE(parser.feed(QByteArray(method + " / HTTP/1.1\r\n" + Host + "\r\n")), State::Complete);
        QCOMPARE(parser.request().method, method);
    }
}

void tst_HttpRequest::headSplitAcrossReadsAnywhere()
{
    // A head (and the body and a pipelined request behind it) cut into two and three reads at
    // every position, inside a header, between a CR and its LF, inside the final CRLF CRLF.
    const QByteArray first = "\r\nPOST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n" + Host
        + "Content-Type: text/plain\r\nX-Long: " + QByteArray(40, 'v') + "\r\nContent-Length: 3\r\n\r\nabc";
    const QByteArray raw = first + "GET /b HTTP/1.1\r\n" + Host + "\r\n";
    HttpRequestParser whole;
    QCOMPARE(whole.feed(raw), State::Complete);
    const HttpRequest expected = whole.takeRequest();
    QCOMPARE(expected.headers.size(), 4);
    for (qsizetype i = 0; i <= raw.size(); ++i) {
        for (qsizetype j = i; j <= raw.size(); j += 7) {
            HttpRequestParser parser;
            parser.feed(raw.first(i));
            parser.feed(raw.sliced(i, j - i));
            QCOMPARE(parser.feed(raw.sliced(j)), State::Complete);
            const HttpRequest r = parser.takeRequest();
            QCOMPARE(r.method, expected.method);
            QCOMPARE(r.target, expected.target);
            QCOMPARE(r.headers, expected.headers);
            QCOMPARE(r.body, QByteArray("abc"));
            QCOMPARE(parser.parseBuffered(), State::Complete);
            QCOMPARE(parser.request().path, QByteArray("/b"));
        }
    }
}

void tst_HttpRequest::errorsFoundWhereverTheReadsSplit_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("bare CR") << ("GET / HTTP/1.1\r\n" + Host + "X: a\rb\r\n\r\n") << 400 << QByteArray("bare CR in request head");
    QTest::newRow("bare CR before the end") << ("GET / HTTP/1.1\r\n" + Host + "\r\r\n") << 400 << QByteArray("bare CR in request head");
    QTest::newRow("bare LF") << ("GET / HTTP/1.1\r\n" + Host + "X: a\nb\r\n\r\n") << 400 << QByteArray("bare LF in request head");
    QTest::newRow("bare LF ends the head") << ("GET / HTTP/1.1\r\n" + Host + "\n") << 400 << QByteArray("bare LF in request head");
    QTest::newRow("bare LF after leading CRLF") << QByteArray("\r\n\nGET / HTTP/1.1\r\n\r\n") << 400 << QByteArray("bare LF in request head");
    QTest::newRow("bare CR before a bare LF") << ("GET / HTTP/1.1\r\nX: \ra\n" + Host + "\r\n") << 400 << QByteArray("bare CR in request head");
    QTest::newRow("bad header after a good one") << ("GET / HTTP/1.1\r\n" + Host + "X y: 1\r\n\r\n") << 400 << QByteArray("invalid header name");
}

void tst_HttpRequest::errorsFoundWhereverTheReadsSplit()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(QByteArray, error);
    for (qsizetype i = 0; i <= raw.size(); ++i) {
        HttpRequestParser parser;
        State s = parser.feed(raw.first(i));
        if (s != State::Error)
            s = parser.feed(raw.sliced(i));
        QCOMPARE(s, State::Error);
        QCOMPARE(parser.errorStatus(), status);
        QCOMPARE(parser.errorString(), error);
    }
    // byte by byte
    HttpRequestParser parser;
    State s = State::NeedMore;
    for (char c : raw) {
        s = parser.feed(QByteArrayView(&c, 1));
        if (s == State::Error)
            break;
    }
    QCOMPARE(s, State::Error);
    QCOMPARE(parser.errorString(), error);
}

void tst_HttpRequest::decodesQueryComponentsAsUrlSearchParams_data()
{
    QTest::addColumn<QByteArray>("component");
    QTest::addColumn<QByteArray>("decoded");
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("plain") << QByteArray("polling") << QByteArray("polling");
    QTest::newRow("plus is a space") << QByteArray("a+b++") << QByteArray("a b  ");
    QTest::newRow("encoded plus is a plus") << QByteArray("a%2Bb%2b") << QByteArray("a+b+");
    QTest::newRow("hex digits of either case") << QByteArray("%4a%4A%7e") << QByteArray("JJ~");
    QTest::newRow("utf-8 bytes") << QByteArray("%E2%82%ac") << QByteArray("\xe2\x82\xac");
    QTest::newRow("encoded percent") << QByteArray("100%25") << QByteArray("100%");
    QTest::newRow("lone percent kept") << QByteArray("%") << QByteArray("%");
    QTest::newRow("percent at the end kept") << QByteArray("a%4") << QByteArray("a%4");
    QTest::newRow("non-hex kept") << QByteArray("%zz%4g%g4") << QByteArray("%zz%4g%g4");
    QTest::newRow("kept percent then a valid one") << QByteArray("%%41") << QByteArray("%A");
    QTest::newRow("decoded once") << QByteArray("%2541") << QByteArray("%41");
    QTest::newRow("nul byte") << QByteArray("a%00b") << QByteArray("a\0b", 3);
}

void tst_HttpRequest::decodesQueryComponentsAsUrlSearchParams()
{
    QFETCH(QByteArray, component);
    QFETCH(QByteArray, decoded);
    QCOMPARE(decodeQueryComponent(component), decoded);
}

QTEST_APPLESS_MAIN(tst_HttpRequest)
#include "tst_httprequest.moc"

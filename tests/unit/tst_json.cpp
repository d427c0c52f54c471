// Unit tests of protocol/json: JSON.parse / JSON.stringify compatibility on QCborValue.
#include "protocol/json.h"
#include "protocol/limits.h"

#include <QCborArray>
#include <QCborMap>
#include <QDateTime>
#include <QTest>

#include <cmath>
#include <limits>

using namespace SocketIo::Protocol;

class tst_Json : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void readNumbers_data();
    void readNumbers();
    void writeNumbers_data();
    void writeNumbers();
    void everyControlCharacterIsEscaped();
    void recordSeparatorIsEscaped();
    void readUnicode_data();
    void readUnicode();
    void loneSurrogatesRoundTripAsJavaScriptDoes();
    void writeLoneSurrogateAsEscape();
    void writeSurrogatePairAsUtf8();
    void malformed_data();
    void malformed();
    void depthLimit();
    void depthBombDoesNotCrash();
    void duplicateKeysKeepLastValueAtFirstPosition();
    void duplicateKeysInLargeObject();
    void duplicateKeysAtEveryNestingLevel();
    void largeObjectIsNotQuadratic();
    void keyOrderIsPreserved();
    void undefinedInArraysAndMaps();
    void placeholdersDepthFirst();
    void byteStringsWithoutAttachmentListAreNull();
    void hasBinary();
    void tagsAreWrittenAsTaggedValue();
    void nonStringKeys();
    void writerDepthIsBounded();
};

using namespace Qt::StringLiterals;

static QCborValue parse(const QByteArray &json)
{
    QCborValue value;
    QString error;
    if (!Json::read(json, &value, &error))
        qWarning("unexpected parse failure of %s: %s", json.constData(), qPrintable(error));
    return value;
}

void tst_Json::roundTrip_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("output");

    QTest::newRow("empty object") << QByteArray("{}") << QByteArray("{}");
    QTest::newRow("empty array") << QByteArray("[]") << QByteArray("[]");
    QTest::newRow("empty string") << QByteArray("\"\"") << QByteArray("\"\"");
    QTest::newRow("true") << QByteArray("true") << QByteArray("true");
    QTest::newRow("false") << QByteArray("false") << QByteArray("false");
    QTest::newRow("null") << QByteArray("null") << QByteArray("null");
    QTest::newRow("nested containers")
            << QByteArray(R"({"a":[1,{"b":[[],{}]},"x"],"c":{"d":null}})")
            << QByteArray(R"({"a":[1,{"b":[[],{}]},"x"],"c":{"d":null}})");
    QTest::newRow("whitespace removed")
            << QByteArray(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : true }\n")
            << QByteArray(R"({"a":[1,2],"b":true})");
    QTest::newRow("escapes normalised")
            << QByteArray(R"(["\/\b\f\n\r\t\"\\\u0041\u00e9"])")
            << QByteArray("[\"/\\b\\f\\n\\r\\t\\\"\\\\A\xc3\xa9\"]");
    QTest::newRow("raw utf-8 kept")
            << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"")
            << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    QTest::newRow("line separators not escaped (like JSON.stringify)")
            << QByteArray("\"\\u2028\\u2029\\u007f\"") << QByteArray("\"\xe2\x80\xa8\xe2\x80\xa9\x7f\"");
    QTest::newRow("escaped control character stays escaped")
            << QByteArray(R"("a\u0000b\u001fc")") << QByteArray(R"("a\u0000b\u001fc")");
    QTest::newRow("socket.io event") << QByteArray(R"(["message",{"user":"x","text":"hi"},3])")
                                     << QByteArray(R"(["message",{"user":"x","text":"hi"},3])");
    QTest::newRow("placeholder object stays an object")
            << QByteArray(R"({"_placeholder":true,"num":0})") << QByteArray(R"({"_placeholder":true,"num":0})");
}

void tst_Json::roundTrip()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, output);
    QCborValue value;
    QString error;
    QVERIFY2(Json::read(input, &value, &error), qPrintable(error));
    QCOMPARE(Json::write(value), output);
    // and the output reads back to the same value
    QCborValue again;
    QVERIFY(Json::read(output, &again));
    QCOMPARE(again, value);
}

void tst_Json::readNumbers_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("isInteger");
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("written");

    const double twoTo53 = 9007199254740992.0;
    QTest::newRow("zero") << QByteArray("0") << true << 0.0 << QByteArray("0");
    QTest::newRow("minus zero is a double, written as 0") << QByteArray("-0") << false << -0.0 << QByteArray("0");
    QTest::newRow("one") << QByteArray("1") << true << 1.0 << QByteArray("1");
    QTest::newRow("negative") << QByteArray("-42") << true << -42.0 << QByteArray("-42");
    QTest::newRow("one and a half") << QByteArray("1.5") << false << 1.5 << QByteArray("1.5");
    QTest::newRow("fraction with zero part is a double") << QByteArray("1.0") << false << 1.0 << QByteArray("1");
    QTest::newRow("exponent is a double") << QByteArray("1e2") << false << 100.0 << QByteArray("100");
    QTest::newRow("capital exponent with sign") << QByteArray("2E+3") << false << 2000.0 << QByteArray("2000");
    QTest::newRow("1e21") << QByteArray("1e21") << false << 1e21 << QByteArray("1e+21");
    QTest::newRow("1e-7") << QByteArray("1e-7") << false << 1e-7 << QByteArray("1e-7");
    QTest::newRow("2^53 is an integer") << QByteArray("9007199254740992") << true << twoTo53
                                         << QByteArray("9007199254740992");
    QTest::newRow("-2^53 is an integer") << QByteArray("-9007199254740992") << true << -twoTo53
                                          << QByteArray("-9007199254740992");
    QTest::newRow("2^53+1 rounds to a double like JSON.parse")
            << QByteArray("9007199254740993") << false << twoTo53 << QByteArray("9007199254740992");
    QTest::newRow("20 digits") << QByteArray("12345678901234567890") << false << 12345678901234567890.0
                               << QByteArray("12345678901234567000");
    QTest::newRow("large exponent overflows to infinity, written as null")
            << QByteArray("1e400") << false << std::numeric_limits<double>::infinity() << QByteArray("null");
    QTest::newRow("negative overflow") << QByteArray("-1e400") << false
                                       << -std::numeric_limits<double>::infinity() << QByteArray("null");
    QTest::newRow("huge exponent digits") << QByteArray("1e99999999999999999999") << false
                                          << std::numeric_limits<double>::infinity() << QByteArray("null");
    QTest::newRow("tiny exponent underflows to zero") << QByteArray("1e-400") << false << 0.0 << QByteArray("0");
    QTest::newRow("long mantissa with negative exponent still overflows")
            << (QByteArray("1") + QByteArray(400, '0') + "e-10") << false
            << std::numeric_limits<double>::infinity() << QByteArray("null");
    QTest::newRow("smallest subnormal") << QByteArray("5e-324") << false << 5e-324 << QByteArray("5e-324");
    QTest::newRow("largest double") << QByteArray("1.7976931348623157e308") << false
                                    << 1.7976931348623157e308 << QByteArray("1.7976931348623157e+308");
    QTest::newRow("0.1") << QByteArray("0.1") << false << 0.1 << QByteArray("0.1");
    QTest::newRow("many fraction digits") << QByteArray("0.30000000000000004") << false
                                          << 0.30000000000000004 << QByteArray("0.30000000000000004");
}

void tst_Json::readNumbers()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, isInteger);
    QFETCH(double, value);
    QFETCH(QByteArray, written);

    QCborValue v;
    QString error;
    QVERIFY2(Json::read(input, &v, &error), qPrintable(error));
    QCOMPARE(v.isInteger(), isInteger);
    QVERIFY(v.isInteger() || v.isDouble());
    const double got = v.toDouble();
    QCOMPARE(got, value);
    QCOMPARE(std::signbit(got), std::signbit(value));
    QCOMPARE(Json::write(v), written);
}

void tst_Json::writeNumbers_data()
{
    QTest::addColumn<QCborValue>("value");
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("integer zero") << QCborValue(0) << QByteArray("0");
    QTest::newRow("double zero") << QCborValue(0.0) << QByteArray("0");
    QTest::newRow("minus zero") << QCborValue(-0.0) << QByteArray("0");
    QTest::newRow("integral double has no fraction") << QCborValue(1.0) << QByteArray("1");
    QTest::newRow("1.5") << QCborValue(1.5) << QByteArray("1.5");
    QTest::newRow("-1.5") << QCborValue(-1.5) << QByteArray("-1.5");
    QTest::newRow("1e20 written out") << QCborValue(1e20) << QByteArray("100000000000000000000");
    QTest::newRow("1e21 exponential") << QCborValue(1e21) << QByteArray("1e+21");
    QTest::newRow("1.5e21") << QCborValue(1.5e21) << QByteArray("1.5e+21");
    QTest::newRow("1e-6 written out") << QCborValue(1e-6) << QByteArray("0.000001");
    QTest::newRow("1e-7 exponential") << QCborValue(1e-7) << QByteArray("1e-7");
    QTest::newRow("1.5e-7") << QCborValue(1.5e-7) << QByteArray("1.5e-7");
    QTest::newRow("123.456") << QCborValue(123.456) << QByteArray("123.456");
    QTest::newRow("2^53 as double") << QCborValue(9007199254740992.0) << QByteArray("9007199254740992");
    QTest::newRow("2^53+1 as integer stays exact") << QCborValue(qint64(9007199254740993))
                                                   << QByteArray("9007199254740993");
    QTest::newRow("int64 max") << QCborValue(std::numeric_limits<qint64>::max())
                               << QByteArray("9223372036854775807");
    QTest::newRow("int64 min") << QCborValue(std::numeric_limits<qint64>::min())
                               << QByteArray("-9223372036854775808");
    QTest::newRow("NaN is null") << QCborValue(std::numeric_limits<double>::quiet_NaN()) << QByteArray("null");
    QTest::newRow("Infinity is null") << QCborValue(std::numeric_limits<double>::infinity()) << QByteArray("null");
    QTest::newRow("-Infinity is null") << QCborValue(-std::numeric_limits<double>::infinity()) << QByteArray("null");
    QTest::newRow("max double") << QCborValue(std::numeric_limits<double>::max())
                                << QByteArray("1.7976931348623157e+308");
    QTest::newRow("min subnormal") << QCborValue(std::numeric_limits<double>::denorm_min()) << QByteArray("5e-324");
    QTest::newRow("1/3") << QCborValue(1.0 / 3.0) << QByteArray("0.3333333333333333");
}

void tst_Json::writeNumbers()
{
    QFETCH(QCborValue, value);
    QFETCH(QByteArray, json);
    QCOMPARE(Json::write(value), json);
}

void tst_Json::everyControlCharacterIsEscaped()
{
    // JSON.stringify's spelling of each control character.
    const char *const expected[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (char16_t c = 0; c < 0x20; ++c) {
        const QString s = QString(QChar(c));
        const QByteArray json = Json::write(QCborValue(s));
        QCOMPARE(json, QByteArray("\"") + expected[c] + "\"");
        for (char byte : json)
            QVERIFY2(uchar(byte) >= 0x20, "raw control byte in output");
        QCborValue back;
        QVERIFY(Json::read(json, &back));
        QCOMPARE(back.toString(), s);
    }
    QCOMPARE(Json::write(QCborValue(QStringLiteral("\"\\"))), QByteArray(R"("\"\\")"));
}

void tst_Json::recordSeparatorIsEscaped()
{
    const QByteArray json = Json::write(QCborArray{QStringLiteral("a\x1e" "b"), QCborMap{{QStringLiteral("\x1e"), 1}}});
    QCOMPARE(json, QByteArray(R"(["a\u001eb",{"\u001e":1}])"));
    QVERIFY(!json.contains('\x1e'));
}

void tst_Json::readUnicode_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");

    QTest::newRow("escaped surrogate pair") << QByteArray(R"("\uD83D\uDE00")") << QString::fromUtf8("\xf0\x9f\x98\x80");
    QTest::newRow("lower-case escaped pair") << QByteArray(R"("\ud83d\ude00")") << QString::fromUtf8("\xf0\x9f\x98\x80");
    QTest::newRow("raw 4-byte utf-8") << QByteArray("\"\xf0\x9f\x98\x80\"") << QString::fromUtf8("\xf0\x9f\x98\x80");
    // JSON.parse keeps a lone surrogate in a string value (a JavaScript string cut in the middle
    // of an emoji); the QString holds it as it is.
    const QChar high(char16_t(0xd800));
    const QChar highEmoji(char16_t(0xd83d));
    const QChar low(char16_t(0xdc00));
    QTest::newRow("lone high surrogate kept") << QByteArray(R"("a\uD800b")") << (u"a"_s + high + u"b"_s);
    QTest::newRow("lone low surrogate kept") << QByteArray(R"("\uDC00")") << QString(low);
    QTest::newRow("high surrogate at end") << QByteArray(R"("\uD800")") << QString(high);
    QTest::newRow("high surrogate then a non-surrogate escape")
            << QByteArray(R"("\uD800\u0041")") << (QString(high) + u"A"_s);
    QTest::newRow("two high surrogates then a low") << QByteArray(R"("\uD800\uD83D\uDE00")")
                                                    << (QString(high) + QString::fromUtf8("\xf0\x9f\x98\x80"));
    QTest::newRow("high surrogate then a raw character") << QByteArray("\"\\uD800\xc3\xa9\"")
                                                         << (QString(high) + u"\u00e9"_s);
    QTest::newRow("emoji cut after its high half, raw text around")
            << QByteArray("\"\xf0\x9f\x98\x80 \\ud83d\"") << (QString::fromUtf8("\xf0\x9f\x98\x80 ") + highEmoji);
    QTest::newRow("reversed pair is two lone surrogates")
            << QByteArray(R"("\uDE00\uD83D")") << (QString(QChar(char16_t(0xde00))) + highEmoji);
    QTest::newRow("BMP escape") << QByteArray(R"("\u20ac")") << QStringLiteral(u"\u20ac");
    QTest::newRow("escaped NUL") << QByteArray(R"("\u0000")") << QString(QChar(0));
    QTest::newRow("largest code point raw") << QByteArray("\"\xf4\x8f\xbf\xbf\"") << QString::fromUtf8("\xf4\x8f\xbf\xbf");
}

void tst_Json::readUnicode()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    QCborValue v;
    QString error;
    QVERIFY2(Json::read(input, &v, &error), qPrintable(error));
    QCOMPARE(v.toString(), expected);
}

void tst_Json::loneSurrogatesRoundTripAsJavaScriptDoes()
{
    // Inside containers, next to binary-free values, after a duplicate key: read as JSON.parse
    // reads them, written back as JSON.stringify writes them.
    const QByteArray json = R"([1,{"k":"x\ud800","k":"y\udfff","n":["\ud83d",{"deep":"\udc00z"}]},"\ud800"])";
    QCborValue v;
    QString error;
    QVERIFY2(Json::read(json, &v, &error), qPrintable(error));
    const QCborArray a = v.toArray();
    QCOMPARE(a.size(), 3);
    const QCborMap m = a.at(1).toMap();
    QCOMPARE(m.keys().size(), 2);   // the duplicate key keeps its last value, at its first place
    QCOMPARE(m.value(u"k"_s).toString(), u"y"_s + QChar(char16_t(0xdfff)));
    QCOMPARE(m.value(u"n"_s).toArray().at(0).toString(), QString(QChar(char16_t(0xd83d))));
    QCOMPARE(m.value(u"n"_s).toArray().at(1).toMap().value(u"deep"_s).toString(),
             QChar(char16_t(0xdc00)) + u"z"_s);
    QCOMPARE(a.at(2).toString(), QString(QChar(char16_t(0xd800))));
    QVERIFY(!a.at(2).isTag());
    QCOMPARE(Json::write(v), QByteArray(R"([1,{"k":"y\udfff","n":["\ud83d",{"deep":"\udc00z"}]},"\ud800"])"));

    // An event name too (the first string of a Socket.IO EVENT, read apart).
    Json::ReadInfo info;
    info.separateFirstString = true;
    QVERIFY(Json::read(R"(["ev\ud800",1])", &v, &error, &info));
    QVERIFY(info.firstStringSeparated);
    QCOMPARE(info.firstString, u"ev"_s + QChar(char16_t(0xd800)));
    QCOMPARE(v.toArray(), QCborArray{1});

    // A key cannot stay a lone surrogate here (keys are compared as UTF-8): U+FFFD.
    QVERIFY(Json::read(R"({"\ud800":1})", &v, &error));
    QCOMPARE(v.toMap().keys().first().toString(), u"\uFFFD"_s);
}

void tst_Json::writeLoneSurrogateAsEscape()
{
    const QChar high(char16_t(0xd800));
    const QChar low(char16_t(0xdc01));
    QCOMPARE(Json::write(QCborValue(QString(high))), QByteArray(R"("\ud800")"));
    QCOMPARE(Json::write(QCborValue(QString(low) + u'x')), QByteArray(R"("\udc01x")"));
    QCOMPARE(Json::write(QCborValue(QString(high) + high + low)), QByteArray("\"\\ud800\xf0\x90\x80\x81\""));
}

void tst_Json::writeSurrogatePairAsUtf8()
{
    QCOMPARE(Json::write(QCborValue(QString::fromUtf8("\xf0\x9f\x98\x80"))), QByteArray("\"\xf0\x9f\x98\x80\""));
}

void tst_Json::malformed_data()
{
    QTest::addColumn<QByteArray>("input");

    QTest::newRow("empty input") << QByteArray();
    QTest::newRow("only whitespace") << QByteArray(" \n");
    QTest::newRow("truncated object") << QByteArray(R"({"a":1)");
    QTest::newRow("truncated after key") << QByteArray(R"({"a")");
    QTest::newRow("truncated after colon") << QByteArray(R"({"a":)");
    QTest::newRow("truncated array") << QByteArray("[1,");
    QTest::newRow("truncated string") << QByteArray("\"abc");
    QTest::newRow("truncated escape") << QByteArray("\"\\");
    QTest::newRow("truncated unicode escape") << QByteArray(R"("\u12")");
    QTest::newRow("truncated literal") << QByteArray("tru");
    QTest::newRow("trailing garbage") << QByteArray("[1]x");
    QTest::newRow("two values") << QByteArray("1 2");
    QTest::newRow("trailing comma in array") << QByteArray("[1,]");
    QTest::newRow("trailing comma in object") << QByteArray(R"({"a":1,})");
    QTest::newRow("missing comma") << QByteArray("[1 2]");
    QTest::newRow("missing colon") << QByteArray(R"({"a" 1})");
    QTest::newRow("unquoted key") << QByteArray("{a:1}");
    QTest::newRow("single quotes") << QByteArray("'a'");
    QTest::newRow("bad escape") << QByteArray(R"("\x41")");
    QTest::newRow("bad unicode escape digits") << QByteArray(R"("\u12G4")");
    QTest::newRow("raw control character in string") << QByteArray("\"a\x01\"");
    QTest::newRow("raw newline in string") << QByteArray("\"a\nb\"");
    QTest::newRow("leading zero") << QByteArray("01");
    QTest::newRow("negative leading zero") << QByteArray("-01");
    QTest::newRow("leading plus") << QByteArray("+1");
    QTest::newRow("bare minus") << QByteArray("-");
    QTest::newRow("dot without digits") << QByteArray("1.");
    QTest::newRow("leading dot") << QByteArray(".5");
    QTest::newRow("exponent without digits") << QByteArray("1e");
    QTest::newRow("exponent sign without digits") << QByteArray("1e+");
    QTest::newRow("hex number") << QByteArray("0x10");
    QTest::newRow("NaN literal") << QByteArray("NaN");
    QTest::newRow("Infinity literal") << QByteArray("Infinity");
    QTest::newRow("undefined literal") << QByteArray("undefined");
    QTest::newRow("capitalised literal") << QByteArray("True");
    QTest::newRow("comment") << QByteArray("[1]//");
    QTest::newRow("invalid utf-8 continuation byte") << QByteArray("\"\x80\"");
    QTest::newRow("invalid utf-8 lead byte") << QByteArray("\"\xff\"");
    QTest::newRow("overlong utf-8") << QByteArray("\"\xc0\xaf\"");
    QTest::newRow("overlong 3-byte utf-8") << QByteArray("\"\xe0\x80\xaf\"");
    QTest::newRow("utf-8 encoded surrogate") << QByteArray("\"\xed\xa0\x80\"");
    QTest::newRow("utf-8 above U+10FFFF") << QByteArray("\"\xf4\x90\x80\x80\"");
    QTest::newRow("truncated utf-8 sequence") << QByteArray("\"\xe2\x82\"");
    QTest::newRow("invalid utf-8 after an escape") << QByteArray("\"\\n\xff\"");
    QTest::newRow("invalid utf-8 outside strings") << QByteArray("[\xc3\xa9]");
    QTest::newRow("byte order mark") << QByteArray("\xef\xbb\xbf{}");
    QTest::newRow("vertical tab is not JSON whitespace") << QByteArray("\v1");
    QTest::newRow("nul byte after value") << QByteArray("1\0", 2);
    QTest::newRow("non-string key") << QByteArray("{1:2}");
    QTest::newRow("unbalanced brackets") << QByteArray("[}");
}

void tst_Json::malformed()
{
    QFETCH(QByteArray, input);
    QCborValue value(42);
    QString error;
    QVERIFY(!Json::read(input, &value, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(value, QCborValue(42)); // untouched on failure
}

void tst_Json::depthLimit()
{
    const QByteArray ok = QByteArray(MaxJsonDepth, '[') + QByteArray(MaxJsonDepth, ']');
    QVERIFY(Json::read(ok, nullptr));
    const QByteArray tooDeep = QByteArray(MaxJsonDepth + 1, '[') + QByteArray(MaxJsonDepth + 1, ']');
    QString error;
    QVERIFY(!Json::read(tooDeep, nullptr, &error));
    QVERIFY2(error.contains(u"deep"), qPrintable(error));

    QByteArray objects;
    for (int i = 0; i <= MaxJsonDepth; ++i)
        objects += "{\"a\":";
    objects += "1" + QByteArray(MaxJsonDepth + 1, '}');
    QVERIFY(!Json::read(objects, nullptr));
}

void tst_Json::depthBombDoesNotCrash()
{
    QVERIFY(!Json::read(QByteArray(1000000, '['), nullptr));
    QByteArray mixed;
    for (int i = 0; i < 200000; ++i)
        mixed += "{\"a\":[";
    QVERIFY(!Json::read(mixed, nullptr));
}

void tst_Json::duplicateKeysKeepLastValueAtFirstPosition()
{
    const QCborValue v = parse(R"({"a":1,"b":{"x":[1,2]},"a":{"deep":true},"c":3,"b":"last"})");
    QCOMPARE(Json::write(v), QByteArray(R"({"a":{"deep":true},"b":"last","c":3})"));
    QCOMPARE(v.toMap().size(), 3);
    // duplicates in a nested object do not disturb the outer one
    QCOMPARE(Json::write(parse(R"([{"k":1,"k":2},{"k":3}])")), QByteArray(R"([{"k":2},{"k":3}])"));
    QCOMPARE(Json::write(parse(R"({"o":{"k":1,"k":2},"o":{"j":1,"j":[]}})")), QByteArray(R"({"o":{"j":[]}})"));
}

void tst_Json::duplicateKeysInLargeObject()
{
    // Beyond the size where the reader switches from a linear key scan to a hash index.
    QByteArray json = "{";
    QByteArray expected = "{";
    for (int i = 0; i < 100; ++i) {
        json += "\"k" + QByteArray::number(i) + "\":" + QByteArray::number(i) + ",";
        expected += "\"k" + QByteArray::number(i) + "\":" + QByteArray::number(i == 3 ? 1000 : i == 70 ? 2000 : i) + ",";
    }
    json += "\"k3\":1000,\"k70\":2000}";
    expected.chop(1);
    expected += "}";
    QCOMPARE(Json::write(parse(json)), expected);
}

void tst_Json::duplicateKeysAtEveryNestingLevel()
{
    // Objects nested near the depth limit, each with duplicate keys around its child: values kept
    // in place, moved to the first key's position and dropped all hold objects with duplicates of
    // their own. The reader resolves them all in one pass after parsing (rewriting each object
    // when it closed copied the nested ones again at every level: O(depth x size)).
    const int levels = MaxJsonDepth - 2;
    const QByteArray pad(64, 'p');
    QByteArray json;
    QByteArray expected;
    for (int i = 0; i < levels; ++i) {
        json += R"({"a":{"x":1,"x":2},"p":")" + pad + R"(","d":{"v":1,"v":2},"c":)";
        expected += R"({"a":{"x":2},"p":")" + pad + R"(","d":{"w":)" + QByteArray::number(i) + R"(},"c":)";
    }
    json += "null";
    expected += "null";
    for (int i = levels - 1; i >= 0; --i) {
        json += R"(,"d":{"w":0,"w":)" + QByteArray::number(i) + "}}";
        expected += "}";
    }
    QCborValue v;
    QString error;
    QVERIFY2(Json::read(json, &v, &error), qPrintable(error));
    QCOMPARE(Json::write(v), expected);
    QCborMap innermost = v.toMap();
    for (int i = 1; i < levels; ++i)
        innermost = innermost.value(QStringLiteral("c")).toMap();
    QCOMPARE(innermost.size(), 4);
    QCOMPARE(innermost.value(QStringLiteral("d")).toMap().value(QStringLiteral("w")).toInteger(), levels - 1);
}

void tst_Json::largeObjectIsNotQuadratic()
{
    // 200k members: a reader inserting with QCborMap::insert (a linear search each) would take
    // minutes here and hit the test timeout.
    QByteArray json = "{";
    for (int i = 0; i < 200000; ++i)
        json += "\"" + QByteArray::number(i) + "\":0,";
    json.chop(1);
    json += "}";
    QCborValue v;
    QVERIFY(Json::read(json, &v));
    QCOMPARE(v.toMap().size(), 200000);
}

void tst_Json::keyOrderIsPreserved()
{
    const QByteArray json = R"({"z":1,"a":2,"m":3,"2":4,"1":5})";
    QCOMPARE(Json::write(parse(json)), json);

    QCborMap map;
    map.insert(QStringLiteral("z"), 1);
    map.insert(QStringLiteral("a"), 2);
    QCOMPARE(Json::write(map), QByteArray(R"({"z":1,"a":2})"));
}

void tst_Json::undefinedInArraysAndMaps()
{
    QCborMap map;
    map.insert(QStringLiteral("a"), QCborValue());
    map.insert(QStringLiteral("b"), 1);
    map.insert(QStringLiteral("c"), QCborValue(QCborValue::Undefined));
    QCOMPARE(Json::write(map), QByteArray(R"({"b":1})"));
    QCOMPARE(Json::write(QCborArray{QCborValue(), QCborValue(nullptr), 1}), QByteArray("[null,null,1]"));
    QCOMPARE(Json::write(QCborValue()), QByteArray("null"));
}

void tst_Json::placeholdersDepthFirst()
{
    const QByteArray b0("\x00\x01", 2), b1("one"), b2("two"), b3("three"), b4;
    QCborMap inner;
    inner.insert(QStringLiteral("z"), b1);                 // insertion order, not key order
    inner.insert(QStringLiteral("a"), QCborArray{b2, 7});
    const QCborArray data{QStringLiteral("ev"), b0, inner, b3, QCborMap{{QStringLiteral("e"), b4}}};

    QList<QByteArray> attachments;
    const QByteArray json = Json::write(data, &attachments);
    QCOMPARE(json, QByteArray(R"(["ev",{"_placeholder":true,"num":0},{"z":{"_placeholder":true,"num":1},)"
                              R"("a":[{"_placeholder":true,"num":2},7]},{"_placeholder":true,"num":3},)"
                              R"({"e":{"_placeholder":true,"num":4}}])"));
    QCOMPARE(attachments, (QList<QByteArray>{b0, b1, b2, b3, b4}));
}

void tst_Json::byteStringsWithoutAttachmentListAreNull()
{
    QCOMPARE(Json::write(QCborArray{QByteArray("x"), 1}), QByteArray("[null,1]"));
}

void tst_Json::hasBinary()
{
    QVERIFY(!Json::hasBinary(QCborArray{1, QStringLiteral("a"), QCborMap{{QStringLiteral("k"), QCborArray{}}}}));
    QVERIFY(Json::hasBinary(QByteArray("x")));
    QVERIFY(Json::hasBinary(QCborArray{1, QCborMap{{QStringLiteral("k"), QCborArray{QByteArray()}}}}));
    QVERIFY(Json::hasBinary(QCborMap{{QStringLiteral("k"), QByteArray("x")}}));
    QVERIFY(!Json::hasBinary(QCborValue()));
}

void tst_Json::tagsAreWrittenAsTaggedValue()
{
    const QDateTime when(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC);
    QCOMPARE(Json::write(QCborValue(when)), QByteArray(R"("2026-01-02T03:04:05.000Z")")); // as Date.toJSON
    QCOMPARE(Json::write(QCborValue(QCborKnownTags::PositiveBignum, QCborValue(5))), QByteArray("5"));
}

void tst_Json::nonStringKeys()
{
    QCborMap map;
    map.insert(1, QStringLiteral("int"));
    map.insert(QCborValue(1.5), QStringLiteral("double"));
    map.insert(QCborValue(true), 0);
    QCOMPARE(Json::write(map), QByteArray(R"({"1":"int","1.5":"double","true":0})"));
}

void tst_Json::writerDepthIsBounded()
{
    QCborValue v(1);
    for (int i = 0; i < MaxJsonDepth + 5; ++i)
        v = QCborArray{v};
    const QByteArray json = Json::write(v);
    // the part the reader accepts is kept, deeper containers become null
    QCOMPARE(json, QByteArray(MaxJsonDepth, '[') + "null" + QByteArray(MaxJsonDepth, ']'));
    QVERIFY(Json::read(json, nullptr));
    QVERIFY(!Json::hasBinary([] {
        QCborValue deep(QByteArray("x"));
        for (int i = 0; i < MaxJsonDepth + 5; ++i)
            deep = QCborArray{deep};
        return deep;
    }()));
}

QTEST_GUILESS_MAIN(tst_Json)
#include "tst_json.moc"

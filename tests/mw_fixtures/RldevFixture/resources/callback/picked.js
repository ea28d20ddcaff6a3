module.exports = 'picked';
